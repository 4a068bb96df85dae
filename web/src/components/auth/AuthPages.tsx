import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { LIMITS } from '../../../../src/shared/api/auth.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { navigate, onLinkClick, type Loc } from '../../lib/router.js';
import { ErrorNote, Field } from '../Field.js';

const PUBLIC_PATHS = ['/login', '/signup', '/verify', '/forgot-password', '/reset-password'];

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.includes(path);
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand" aria-hidden="true">
          <span className="brand-mark">P</span> Parley
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

function A({ to, children }: { to: string; children: ReactNode }) {
  return (
    <a href={to} onClick={(e) => onLinkClick(e, to)}>
      {children}
    </a>
  );
}

/** Runs a form submission with a busy flag and a readable error. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

function Login({ loc, onSignedIn }: { loc: Loc; onSignedIn: () => Promise<void> }) {
  const [email, setEmail] = useState(loc.params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await client.call(api.auth.login, { body: { email, password } });
      const next = loc.params.get('next');
      await onSignedIn();
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/today', { replace: true });
    });
  };
  return (
    <Card title="Sign in">
      {loc.params.get('verified') === '1' && <p className="ok-note">You’re in — sign in to start.</p>}
      {loc.params.get('reset') === '1' && <p className="ok-note">Your password is set. Sign in with it.</p>}
      <form onSubmit={submit} className="stack">
        <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} maxLength={LIMITS.emailMax} autoFocus />
        <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} maxLength={LIMITS.passwordMax} />
        <ErrorNote message={error} />
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-links">
        <A to="/forgot-password">Forgot your password?</A> · <A to="/signup">Create an account</A>
      </p>
    </Card>
  );
}

function SignUp({ loc }: { loc: Loc }) {
  const [displayName, setName] = useState('');
  // Invitation links carry the invited address.
  const [email, setEmail] = useState(loc.params.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await client.call(api.auth.signup, { body: { email, password, displayName } });
      setSentTo(email.trim());
    });
  };
  if (sentTo) {
    return (
      <Card title="Check your email">
        <p>
          We sent a link to <strong>{sentTo}</strong>. Open it to verify your address, then sign in.
        </p>
        <p className="auth-links">
          <A to="/login">Back to sign in</A>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Create your Parley account">
      <form onSubmit={submit} className="stack">
        <Field label="Your name" name="displayName" autoComplete="name" required value={displayName} onChange={(e) => setName(e.target.value)} maxLength={LIMITS.displayNameMax} autoFocus />
        <Field label="Work email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} maxLength={LIMITS.emailMax} />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={LIMITS.passwordMin}
          maxLength={LIMITS.passwordMax}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={`At least ${LIMITS.passwordMin} characters.`}
        />
        <ErrorNote message={error} />
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p className="auth-links">
        Already have an account? <A to="/login">Sign in</A>
      </p>
    </Card>
  );
}

function Verify({ loc, signedIn }: { loc: Loc; signedIn: boolean }) {
  const token = loc.params.get('token') ?? '';
  const [state, setState] = useState<'working' | 'done' | 'failed'>('working');
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    // One attempt per page load, even under StrictMode's double effects.
    if (started.current) return;
    started.current = true;
    if (!token) {
      setState('failed');
      setError('This link has no token. Open the link from the email again.');
      return;
    }
    client.call(api.auth.verify, { body: { token } }).then(
      (r) => {
        // More than one sign-up was made for this address: the password is chosen now.
        if (r.setPasswordToken) navigate(`/reset-password?token=${encodeURIComponent(r.setPasswordToken)}&confirmed=1`, { replace: true });
        else setState('done');
      },
      (err: unknown) => {
        setState('failed');
        setError(errorText(err));
      },
    );
  }, [token]);
  if (state === 'working') return <Card title="Verifying your email…">{<p aria-busy="true">One moment.</p>}</Card>;
  if (state === 'failed') {
    return (
      <Card title="We could not verify this link">
        <ErrorNote message={error} />
        <p className="auth-links">
          <A to="/login">Sign in</A> · <A to="/signup">Sign up again</A>
        </p>
      </Card>
    );
  }
  return (
    <Card title="You’re in — sign in">
      <p>Your email address is verified.</p>
      <button className="btn primary" onClick={() => navigate(signedIn ? '/today' : '/login?verified=1')}>
        {signedIn ? 'Open Parley' : 'Sign in'}
      </button>
    </Card>
  );
}

function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await client.call(api.auth.passwordReset, { body: { email } });
      setSent(true);
    });
  };
  return (
    <Card title="Reset your password">
      {sent ? (
        <p className="ok-note">If an account uses {email.trim()}, we sent it a link to choose a new password.</p>
      ) : (
        <form onSubmit={submit} className="stack">
          <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
          <ErrorNote message={error} />
          <button className="btn primary" type="submit" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
      <p className="auth-links">
        <A to="/login">Back to sign in</A>
      </p>
    </Card>
  );
}

function ResetPassword({ loc }: { loc: Loc }) {
  const token = loc.params.get('token') ?? '';
  const invite = loc.params.get('invite') === '1';
  // Verified a sign-up whose address was signed up for more than once: no password counts yet.
  const confirmed = loc.params.get('confirmed') === '1';
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const { busy, error, setError, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) {
      setError('The two passwords are not the same.');
      return;
    }
    void run(async () => {
      await client.call(api.auth.passwordResetConfirm, { body: { token, password } });
      navigate('/login?reset=1', { replace: true });
    });
  };
  return (
    <Card title={invite || confirmed ? 'Set your password' : 'Choose a new password'}>
      {invite && <p>Your administrator created a Parley account for you. Choose a password to sign in.</p>}
      {confirmed && <p>Your email address is confirmed. It was used to sign up more than once, so to be safe no password was kept: choose yours now.</p>}
      {!token && <ErrorNote message="This link has no token. Open the link from the email again." />}
      <form onSubmit={submit} className="stack">
        <Field label="New password" type="password" name="password" autoComplete="new-password" required minLength={LIMITS.passwordMin} maxLength={LIMITS.passwordMax} value={password} onChange={(e) => setPassword(e.target.value)} hint={`At least ${LIMITS.passwordMin} characters.`} autoFocus />
        <Field label="Repeat it" type="password" name="password2" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        <ErrorNote message={error} />
        <button className="btn primary" type="submit" disabled={busy || !token}>
          {invite || confirmed ? 'Set password' : 'Save password'}
        </button>
      </form>
    </Card>
  );
}

export function AuthPages({ loc, onSignedIn, signedIn }: { loc: Loc; onSignedIn: () => Promise<void>; signedIn: boolean }) {
  switch (loc.path) {
    case '/signup':
      return <SignUp loc={loc} />;
    case '/verify':
      return <Verify loc={loc} signedIn={signedIn} />;
    case '/forgot-password':
      return <ForgotPassword />;
    case '/reset-password':
      return <ResetPassword loc={loc} />;
    default:
      return <Login loc={loc} onSignedIn={onSignedIn} />;
  }
}
