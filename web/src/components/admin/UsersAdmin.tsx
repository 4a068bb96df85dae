import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { User } from '../../../../src/shared/api/shapes.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { useSession } from '../../session.js';
import { ErrorNote, Field } from '../Field.js';
import { ConfirmDialog } from '../Modal.js';

type Action = { kind: 'deactivate' | 'reactivate' | 'delete'; user: User };

const ADD_LABELS = { 'body.email': 'Email', 'body.displayName': 'Name' };
const FILTER_LABELS = { 'query.q': 'Find people' };

/** Rows already shown, followed by a further page; a row on both (the list moved) is kept once. */
function appendPage(cur: User[], page: User[]): User[] {
  const seen = new Set(cur.map((u) => u.id));
  return [...cur, ...page.filter((u) => !seen.has(u.id))];
}

export function UsersAdmin({ orgId }: { orgId: string }) {
  const { me } = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [q, setQ] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  // Each list load takes a number; only the latest one's answer is shown, so a slow answer to
  // an earlier filter cannot replace the rows of a newer one.
  const seq = useRef(0);
  const wrapRef = useRef<HTMLDivElement>(null);
  // After a change removes the button that had focus (Deactivate becomes Reactivate, a deleted
  // row goes away), focus goes to this row's buttons, or the next row's, not to the page.
  const focusAfter = useRef<{ userId: string; index: number } | null>(null);

  const load = useCallback(
    async (cursor?: string) => {
      const mine = ++seq.current;
      try {
        const page = await client.call(api.orgs.listUsers, { params: { id: orgId }, query: { ...(q.trim() ? { q: q.trim() } : {}), ...(cursor ? { cursor } : {}) } });
        if (mine !== seq.current) return;
        setUsers((cur) => (cursor && cur ? appendPage(cur, page.items) : page.items));
        setNext(page.next);
        setError(null);
      } catch (err) {
        if (mine !== seq.current) return;
        setError(errorText(err, FILTER_LABELS));
      }
    },
    [orgId, q],
  );

  useEffect(() => {
    const t = setTimeout(() => void load(), 250);
    return () => clearTimeout(t);
  }, [load]);

  useEffect(() => {
    const want = focusAfter.current;
    const wrap = wrapRef.current;
    if (!want || !wrap || !users) return;
    focusAfter.current = null;
    // Only when focus was lost with the button, or is still in the table: never taken from
    // a field the admin moved to meanwhile.
    const active = document.activeElement;
    if (active && active !== document.body && !wrap.contains(active)) return;
    const rows = [...wrap.querySelectorAll<HTMLTableRowElement>('tbody tr')];
    const row = rows.find((r) => r.dataset.userId === want.userId) ?? rows[want.index] ?? rows[want.index - 1];
    const target = row?.querySelector<HTMLElement>('.actions button') ?? wrap;
    target.focus();
  }, [users]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const res = await client.call(api.orgs.createUser, { params: { id: orgId }, body: { email, displayName: name } });
      setNotice(`${res.user.displayName} was added. We emailed ${res.user.email} a link to set a password.`);
      setEmail('');
      setName('');
      // The new person goes on top of what is shown; reloading would drop the rows loaded
      // with "Show more".
      setUsers((cur) => [res.user, ...(cur ?? []).filter((u) => u.id !== res.user.id)]);
    } catch (err) {
      setError(errorText(err, ADD_LABELS));
    } finally {
      setBusy(false);
    }
  };

  const run = async (a: Action) => {
    setAction(null);
    setError(null);
    setNotice(null);
    try {
      const params = { id: orgId, uid: a.user.id };
      const route = a.kind === 'deactivate' ? api.orgs.deactivateUser : a.kind === 'reactivate' ? api.orgs.reactivateUser : api.orgs.deleteUser;
      const res = await client.call(route, { params });
      setNotice(a.kind === 'delete' ? `${a.user.displayName} was deleted.` : `${res.user.displayName} is now ${res.user.status}.`);
      // The changed row is updated where it is, so rows loaded with "Show more" stay.
      focusAfter.current = { userId: a.user.id, index: Math.max(0, users?.findIndex((u) => u.id === a.user.id) ?? 0) };
      setUsers((cur) => cur && (a.kind === 'delete' ? cur.filter((u) => u.id !== a.user.id) : cur.map((u) => (u.id === res.user.id ? res.user : u))));
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="users-admin stack">
      {me.org.plan === 'basic' ? (
        // The server adds nobody to a personal org (personal_org): say so instead of a form it refuses.
        <p className="card hint" data-testid="personal-org">
          {me.org.name} is your personal organization: it is yours alone, and nobody can be added to it. To talk with someone, start a chat with their email address.
        </p>
      ) : (
        <form className="add-user card" onSubmit={(e) => void add(e)}>
          <h2>Add a person</h2>
          <div className="row wrap">
            <Field label="Email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            <Field label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
            <button className="btn primary" type="submit" disabled={busy}>
              Add
            </button>
          </div>
          <small className="hint">They get an email with a link to set their password.</small>
        </form>
      )}
      {notice && (
        <p className="ok-note" role="status">
          {notice}
        </p>
      )}
      <ErrorNote message={error} />
      <div className="field">
        <label htmlFor="user-filter">Find people</label>
        <input id="user-filter" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or email" />
      </div>
      <div className="table-wrap" ref={wrapRef} tabIndex={-1}>
        <table className="table users-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users?.map((u) => (
              <tr key={u.id} data-testid="user-row" data-user-id={u.id}>
                <td className="name">{u.displayName}</td>
                <td className="email">{u.email}</td>
                <td>{u.role}</td>
                <td>
                  <span className={`badge status-${u.status}`}>{u.status}</span>
                </td>
                <td>
                  <div className="actions">
                    {u.id !== me.user.id && u.status === 'active' && (
                      <button className="btn small" onClick={() => setAction({ kind: 'deactivate', user: u })}>
                        Deactivate
                      </button>
                    )}
                    {u.status === 'deactivated' && (
                      <button className="btn small" onClick={() => void run({ kind: 'reactivate', user: u })}>
                        Reactivate
                      </button>
                    )}
                    {u.id !== me.user.id && u.status !== 'deleted' && (
                      <button className="btn small danger" onClick={() => setAction({ kind: 'delete', user: u })}>
                        Delete
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {users?.length === 0 && <p className="muted">Nobody found.</p>}
      {next && (
        <button className="btn" onClick={() => void load(next)}>
          Show more
        </button>
      )}
      {action && (
        <ConfirmDialog
          title={action.kind === 'delete' ? `Delete ${action.user.displayName}?` : `Deactivate ${action.user.displayName}?`}
          confirmLabel={action.kind === 'delete' ? 'Delete' : 'Deactivate'}
          danger
          onClose={() => setAction(null)}
          onConfirm={() => void run(action)}
        >
          {action.kind === 'delete' ? (
            <p>
              {action.user.email} is signed out everywhere and removed. Their name stays on past messages, and the email address can be used for a new account. This cannot be undone.
            </p>
          ) : (
            <p>{action.user.email} is signed out everywhere and cannot sign in or be messaged until reactivated.</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
