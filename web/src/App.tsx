import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Me } from '../../src/shared/api/auth.js';
import { ApiError } from '../../src/shared/client.js';
import { AuthPages, isPublicPath } from './components/auth/AuthPages.js';
import { Shell } from './components/Shell.js';
import { api, client } from './lib/client.js';
import { forgetDrafts } from './lib/drafts.js';
import { errorText } from './lib/reasons.js';
import { navigate, useLocation } from './lib/router.js';
import { SessionContext, type Session } from './session.js';

type State = { kind: 'loading' } | { kind: 'anon' } | { kind: 'error'; message: string } | { kind: 'in'; me: Me };

export function App() {
  const loc = useLocation();
  const [state, setState] = useState<State>({ kind: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await client.call(api.auth.me);
      setState({ kind: 'in', me });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setState({ kind: 'anon' });
      else setState({ kind: 'error', message: errorText(err) });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await client.call(api.auth.logout);
    } catch {
      // Signed out locally whatever the server says; the cookie may already be gone.
    }
    forgetDrafts();
    setState({ kind: 'anon' });
    navigate('/login');
  }, []);

  const session = useMemo<Session | null>(() => (state.kind === 'in' ? { me: state.me, refresh, signOut } : null), [state, refresh, signOut]);

  // Pages that work signed in or not (links from emails).
  const alwaysPublic = loc.path === '/verify' || loc.path === '/reset-password';

  useEffect(() => {
    if (state.kind === 'anon' && !isPublicPath(loc.path)) {
      const next = loc.path === '/' ? '' : `?next=${encodeURIComponent(loc.path)}`;
      navigate(`/login${next}`, { replace: true });
    }
    if (state.kind === 'in' && (loc.path === '/' || (isPublicPath(loc.path) && !alwaysPublic))) navigate('/today', { replace: true });
  }, [state.kind, loc.path, alwaysPublic]);

  if (state.kind === 'loading') return <div className="splash" aria-busy="true">Parley</div>;
  if (state.kind === 'error') {
    return (
      <div className="splash">
        <p role="alert">{state.message}</p>
        <button className="btn" onClick={() => void refresh()}>
          Try again
        </button>
      </div>
    );
  }
  if (state.kind === 'anon' || alwaysPublic || !session) return <AuthPages loc={loc} onSignedIn={refresh} signedIn={state.kind === 'in'} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell loc={loc} />
    </SessionContext.Provider>
  );
}
