import { z } from 'zod';
import { DIRECTORY_LIMITS, type DirectoryEntry, type SearchResult } from '../../shared/api/directory.js';
import type { Capability } from '../../shared/api/shapes.js';
import type { UserWithOrg } from '../accounts/store.js';
import { normalizeEmail } from '../accounts/tokens.js';
import type { AppContext } from '../context.js';
import { Facts } from '../external/facts.js';
import { decideDirectChat, decidePendingChat } from '../external/rules.js';
import { rateLimited } from '../http/errors.js';
import { doCountLookup, findPersonByEmail, searchOwnOrg, type PersonRow } from './store.js';

const WINDOW_MS = 60_000;
const FullEmail = z.email();

/** Searches per user per minute, shared by every node (one look-up is one row). */
export async function checkLookupRate(ctx: AppContext, userId: string): Promise<void> {
  const r = await doCountLookup(ctx, userId, WINDOW_MS, DIRECTORY_LIMITS.perMinute);
  if (!r.allowed) {
    const wait = r.oldestAt ? Math.max(1, Math.ceil((Date.parse(r.oldestAt) + WINDOW_MS - Date.now()) / 1000)) : 60;
    throw rateLimited(wait, 'Too many directory searches; try again in a minute');
  }
}

function capability(d: { allowed: boolean; reason?: Capability['reason']; message?: string }): Capability {
  return d.allowed ? { allowed: true } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}), message: d.message };
}

function entry(row: PersonRow, viewer: UserWithOrg, canMessage: Capability): DirectoryEntry {
  return {
    userId: row.id,
    email: row.email,
    displayName: row.display_name,
    orgId: row.org_id,
    orgName: row.org_name,
    status: row.status as DirectoryEntry['status'],
    external: row.org_id !== viewer.org_id,
    canMessage,
  };
}

/**
 * The directory of design.md: the searcher's own org by name or email prefix; a person of any
 * other org only by their exact full email, so no other org's people can be listed or probed
 * by prefix; and a full email of nobody says so, with whether the searcher may invite them.
 * Deactivated and deleted people are never found: they cannot be messaged.
 */
export async function searchDirectory(ctx: AppContext, viewer: UserWithOrg, q: string): Promise<SearchResult> {
  const query = q.trim();
  const own = await searchOwnOrg(ctx.db, viewer.org_id, query, viewer.id, DIRECTORY_LIMITS.results);
  const items = own.map((r) => entry(r, viewer, { allowed: true }));
  if (!FullEmail.safeParse(query).success) return { items };

  const emailNorm = normalizeEmail(query);
  const facts = new Facts(ctx.db);
  const person = await findPersonByEmail(ctx.db, emailNorm);
  if (!person) {
    const invite = capability(await decidePendingChat(ctx, viewer, emailNorm, facts));
    return { items, notRegistered: true, canInvite: invite.allowed, ...(invite.allowed ? {} : { invite }) };
  }
  if (person.status !== 'active' || person.id === viewer.id || person.org_id === viewer.org_id) return { items };
  const decision = await decideDirectChat(ctx, viewer, person, facts);
  return { items: [entry(person, viewer, capability(decision)), ...items] };
}
