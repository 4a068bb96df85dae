import { useCallback, useEffect, useState } from 'react';
import type { AuditEntry } from '../../../../src/shared/api/orgs.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { ErrorNote } from '../Field.js';

/** The audit filters as the API takes them; empty fields are left out, `until` is inclusive of its day. */
export function auditQuery(f: { action: string; since: string; until: string }): { action?: string; since?: string; until?: string } {
  const q: { action?: string; since?: string; until?: string } = {};
  if (f.action.trim()) q.action = f.action.trim();
  if (f.since) q.since = f.since;
  if (f.until) {
    const d = new Date(`${f.until}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) q.until = new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
  }
  return q;
}

export function AuditLog({ orgId }: { orgId: string }) {
  const [filters, setFilters] = useState({ action: '', since: '', until: '' });
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (cursor?: string) => {
      try {
        const page = await client.call(api.orgs.audit, { params: { id: orgId }, query: { ...auditQuery(filters), ...(cursor ? { cursor } : {}) } });
        setEntries((cur) => (cursor && cur ? [...cur, ...page.items] : page.items));
        setNext(page.next);
        setError(null);
      } catch (err) {
        setError(errorText(err));
      }
    },
    [orgId, filters],
  );

  useEffect(() => {
    const t = setTimeout(() => void load(), 300);
    return () => clearTimeout(t);
  }, [load]);

  const set = (k: keyof typeof filters) => (e: React.ChangeEvent<HTMLInputElement>) => setFilters((f) => ({ ...f, [k]: e.target.value }));

  return (
    <div className="audit stack">
      <div className="row wrap filters" role="group" aria-label="Filters">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" value={filters.action} onChange={set('action')} placeholder="e.g. user.deactivated" />
        </div>
        <div className="field">
          <label htmlFor="audit-since">From</label>
          <input id="audit-since" type="date" value={filters.since} onChange={set('since')} />
        </div>
        <div className="field">
          <label htmlFor="audit-until">To</label>
          <input id="audit-until" type="date" value={filters.until} onChange={set('until')} />
        </div>
      </div>
      <ErrorNote message={error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">By</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries?.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>
                <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleString()}</time>
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>{e.actorName ?? 'Operator'}</td>
              <td className="details">{Object.keys(e.data).length ? JSON.stringify(e.data) : e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries?.length === 0 && <p className="muted">No entries match.</p>}
      {next && (
        <button className="btn" onClick={() => void load(next)}>
          Show more
        </button>
      )}
    </div>
  );
}
