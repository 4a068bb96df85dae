import { useCallback, useEffect, useRef, useState } from 'react';
import type { AuditEntry } from '../../../../src/shared/api/orgs.js';
import { api, client } from '../../lib/client.js';
import { errorText } from '../../lib/reasons.js';
import { ErrorNote } from '../Field.js';

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/**
 * The instant a local calendar day (`2024-03-01`, as a date input gives it) starts, `addDays`
 * later, written with the browser's offset: the rows show local times, so a day picked in the
 * filter must be the local day, not the UTC one. Local midnight may not exist on a day clocks
 * go forward; the Date constructor then gives the first instant of that day.
 */
export function localDayStart(day: string, addDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(y, mo - 1, d + addDays);
  // A day that does not exist (2024-02-30) rolls over in the Date constructor: refuse it instead.
  const check = new Date(y, mo - 1, d);
  if (Number.isNaN(t.getTime()) || check.getFullYear() !== y || check.getMonth() !== mo - 1 || check.getDate() !== d) return undefined;
  const offset = -t.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return `${pad(t.getFullYear(), 4)}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** The form's names for the audit API's fields, for error messages. */
export const AUDIT_LABELS = { 'query.action': 'Action', 'query.since': 'From', 'query.until': 'To' };

/**
 * The audit filters as the API takes them: empty fields are left out; From is the start of its
 * local day and To includes its whole local day (the API's `until` is exclusive).
 */
export function auditQuery(f: { action: string; since: string; until: string }): { action?: string; since?: string; until?: string } {
  const q: { action?: string; since?: string; until?: string } = {};
  if (f.action.trim()) q.action = f.action.trim();
  const since = f.since ? localDayStart(f.since) : undefined;
  if (since) q.since = since;
  const until = f.until ? localDayStart(f.until, 1) : undefined;
  if (until) q.until = until;
  return q;
}

/** Said before asking the server when the days are the wrong way round. */
export function auditFilterProblem(f: { since: string; until: string }): string | null {
  if (f.since && f.until && f.since > f.until) return '“From” must be on or before “To”.';
  return null;
}

export function AuditLog({ orgId }: { orgId: string }) {
  const [filters, setFilters] = useState({ action: '', since: '', until: '' });
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  // Each load takes a number; an answer to anything but the latest (an earlier filter that was
  // slow to answer) is dropped, so it cannot replace what the newer filter shows.
  const seq = useRef(0);

  const load = useCallback(
    async (cursor?: string) => {
      const mine = ++seq.current;
      const problem = auditFilterProblem(filters);
      if (problem) {
        setError(problem);
        return;
      }
      try {
        const page = await client.call(api.orgs.audit, { params: { id: orgId }, query: { ...auditQuery(filters), ...(cursor ? { cursor } : {}) } });
        if (mine !== seq.current) return;
        setEntries((cur) => (cursor && cur ? [...cur, ...page.items.filter((p) => !cur.some((c) => c.id === p.id))] : page.items));
        setNext(page.next);
        setError(null);
      } catch (err) {
        if (mine !== seq.current) return;
        setError(errorText(err, AUDIT_LABELS));
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
      <div className="table-wrap">
        <table className="table audit-table">
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
      </div>
      {entries?.length === 0 && <p className="muted">No entries match.</p>}
      {next && (
        <button className="btn" onClick={() => void load(next)}>
          Show more
        </button>
      )}
    </div>
  );
}
