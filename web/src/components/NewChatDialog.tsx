import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useChats } from '../chat-context.js';
import { api, client } from '../lib/client.js';
import type { DirectoryEntry } from '../../../src/shared/api/directory.js';
import { errorText, reasonText } from '../lib/reasons.js';
import { debounce, isFullEmail } from '../lib/search.js';
import { Avatar } from './Avatar.js';
import { ErrorNote } from './Field.js';
import { Modal } from './Modal.js';

type Lookup =
  | { kind: 'idle' }
  | { kind: 'looking'; email: string }
  | { kind: 'found'; email: string; person: DirectoryEntry }
  | { kind: 'nobody'; email: string; canInvite: boolean; refusal?: string }
  | { kind: 'failed'; email: string; message: string };

/** New chat: type an email, see who it is, then start communicating or invite them. */
export function NewChatDialog({ initial, onClose }: { initial: string; onClose: () => void }) {
  const { openByEmail } = useChats();
  const [email, setEmail] = useState(initial);
  const [lookup, setLookup] = useState<Lookup>({ kind: 'idle' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const find = useMemo(
    () =>
      debounce((q: string) => {
        const mine = ++seq.current;
        setLookup({ kind: 'looking', email: q });
        client.call(api.directory.search, { query: { q } }).then(
          (res) => {
            if (mine !== seq.current) return;
            const person = res.items.find((p) => p.email.toLowerCase() === q.toLowerCase());
            if (person) setLookup({ kind: 'found', email: q, person });
            else setLookup({ kind: 'nobody', email: q, canInvite: res.canInvite !== false, ...(res.invite && !res.invite.allowed ? { refusal: reasonText(res.invite.reason, res.invite.message) } : {}) });
          },
          (err: unknown) => mine === seq.current && setLookup({ kind: 'failed', email: q, message: errorText(err) }),
        );
      }, 300),
    [],
  );
  useEffect(() => () => find.cancel(), [find]);

  useEffect(() => {
    const q = email.trim();
    setError(null);
    if (isFullEmail(q)) find(q);
    else {
      find.cancel();
      seq.current++;
      setLookup({ kind: 'idle' });
    }
  }, [email, find]);

  const start = async (invite: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await openByEmail(email.trim(), invite);
      onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (isFullEmail(email)) void start(false);
  };

  const q = email.trim();
  const current = 'email' in lookup && lookup.email === q ? lookup : null;
  return (
    <Modal title="New chat" onClose={onClose} className="new-chat">
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor="new-chat-email">Email address</label>
          <input id="new-chat-email" type="email" autoComplete="off" spellCheck={false} placeholder="name@company.com" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus maxLength={254} />
          <small className="hint">Anyone with an email address: colleagues, partners, customers.</small>
        </div>
        <div className="lookup" aria-live="polite">
          {current?.kind === 'looking' && <p className="muted">Looking up {q}…</p>}
          {current?.kind === 'found' && (
            <div className="person-card">
              <Avatar id={current.person.userId} name={current.person.displayName} size={44} />
              <div>
                <strong>{current.person.displayName}</strong>
                <div className="muted">{current.person.email}</div>
                <div>
                  {current.person.orgName}
                  {current.person.external && <span className="badge badge-external">External</span>}
                </div>
                {!current.person.canMessage.allowed && <p className="error-note">{reasonText(current.person.canMessage.reason, current.person.canMessage.message)}</p>}
              </div>
            </div>
          )}
          {current?.kind === 'nobody' && (
            <div className="person-card ghost">
              <span className="avatar avatar-ghost" aria-hidden="true" style={{ width: 44, height: 44 }}>
                @
              </span>
              <div>
                <strong>{q}</strong>
                <div className="muted">is not on Parley yet. Start a chat now: they will see it when they join. With Invite, we also email them.</div>
                {current.refusal && <p className="error-note">{current.refusal}</p>}
              </div>
            </div>
          )}
          {current?.kind === 'failed' && <ErrorNote message={current.message} />}
        </div>
        <ErrorNote message={error} />
        <div className="modal-actions">
          {current?.kind === 'nobody' && current.canInvite && (
            <button type="button" className="btn" disabled={busy} onClick={() => void start(true)}>
              Invite
            </button>
          )}
          <button type="submit" className="btn primary" disabled={busy || !isFullEmail(q) || (current?.kind === 'found' && !current.person.canMessage.allowed)}>
            {busy ? 'Starting…' : 'Start communicating'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
