import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { User } from '../../../../src/shared/api/shapes.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { useSession } from '../../session.js';
import { ErrorNote, Field } from '../Field.js';
import { ConfirmDialog } from '../Modal.js';

type Action = { kind: 'deactivate' | 'reactivate' | 'delete'; user: User };

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

  const load = useCallback(
    async (cursor?: string) => {
      try {
        const page = await client.call(api.orgs.listUsers, { params: { id: orgId }, query: { ...(q.trim() ? { q: q.trim() } : {}), ...(cursor ? { cursor } : {}) } });
        setUsers((cur) => (cursor && cur ? [...cur, ...page.items] : page.items));
        setNext(page.next);
        setError(null);
      } catch (err) {
        setError(errorText(err));
      }
    },
    [orgId, q],
  );

  useEffect(() => {
    const t = setTimeout(() => void load(), 250);
    return () => clearTimeout(t);
  }, [load]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await client.call(api.orgs.createUser, { params: { id: orgId }, body: { email, displayName: name } });
      setNotice(`${res.user.displayName} was added. We emailed ${res.user.email} a link to set a password.`);
      setEmail('');
      setName('');
      await load();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const run = async (a: Action) => {
    setAction(null);
    setError(null);
    try {
      const params = { id: orgId, uid: a.user.id };
      const route = a.kind === 'deactivate' ? api.orgs.deactivateUser : a.kind === 'reactivate' ? api.orgs.reactivateUser : api.orgs.deleteUser;
      const res = await client.call(route, { params });
      setNotice(a.kind === 'delete' ? `${a.user.displayName} was deleted.` : `${res.user.displayName} is now ${res.user.status}.`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="users-admin stack">
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
      <table className="table">
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
            <tr key={u.id} data-testid="user-row">
              <td>{u.displayName}</td>
              <td>{u.email}</td>
              <td>{u.role}</td>
              <td>
                <span className={`badge status-${u.status}`}>{u.status}</span>
              </td>
              <td className="actions">
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
