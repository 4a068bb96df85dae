import { createHash, randomBytes } from 'node:crypto';
import type { AppContext, Executor } from '../context.js';
import type { EmailTokensTable } from '../db/schema.js';
import { newId, nowIso } from '../db/util.js';
import { inKeyLock } from '../db/key-lock.js';

/** A random secret for sessions and emailed links; only its hash is ever stored. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `verify`: sign-up verification; `reset`: password reset; `invite`: first password of an admin-created user. */
export type EmailTokenKind = 'verify' | 'reset' | 'invite';
export type EmailTokenRow = EmailTokensTable;

export const VERIFY_TTL_MS = 48 * 3600 * 1000;
export const RESET_TTL_MS = 3600 * 1000;

/**
 * Stores a one-time emailed token (only its SHA-256 hash) and returns the secret to put in the
 * link. Exactly one of `userId` (reset, invite) and `signupId` (verify) is normally set.
 */
export async function doIssueEmailToken(
  db: Executor,
  input: { kind: EmailTokenKind; userId?: string | null; signupId?: string | null; emailNorm: string; ttlMs: number },
): Promise<string> {
  const token = newSecret();
  const now = Date.now();
  await db
    .insertInto('email_tokens')
    .values({
      id: newId(),
      kind: input.kind,
      token_hash: hashSecret(token),
      user_id: input.userId ?? null,
      signup_id: input.signupId ?? null,
      email_norm: input.emailNorm,
      created_at: nowIso(now),
      expires_at: nowIso(now + input.ttlMs),
      used_at: null,
    })
    .execute();
  return token;
}

/** The token behind a secret when it is of one of `kinds`, unused and not expired. */
export async function findUsableToken(db: Executor, secret: string, kinds: readonly EmailTokenKind[]): Promise<EmailTokenRow | undefined> {
  if (!secret) return undefined;
  const row = await db.selectFrom('email_tokens').selectAll().where('token_hash', '=', hashSecret(secret)).executeTakeFirst();
  if (!row || row.used_at || row.expires_at <= nowIso() || !kinds.includes(row.kind as EmailTokenKind)) return undefined;
  return row;
}

/**
 * Marks a token used; false when another request used it first. Run inside the transaction that
 * acts on the token, so two concurrent uses cannot both succeed.
 */
export async function doConsumeToken(db: Executor, id: string): Promise<boolean> {
  const r = await db.updateTable('email_tokens').set({ used_at: nowIso() }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Invalidates every unused token of `kinds` for a user (a reset ends older reset links). */
export async function doRetireUserTokens(db: Executor, userId: string, kinds: readonly EmailTokenKind[]): Promise<void> {
  await db.updateTable('email_tokens').set({ used_at: nowIso() }).where('user_id', '=', userId).where('kind', 'in', [...kinds]).where('used_at', 'is', null).execute();
}

/** How many tokens of a kind were issued for an email since `sinceIso` (mail throttling). */
export async function countTokensSince(db: Executor, emailNorm: string, kind: EmailTokenKind, sinceIso: string): Promise<number> {
  const r = await db
    .selectFrom('email_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('email_norm', '=', emailNorm)
    .where('kind', '=', kind)
    .where('created_at', '>=', sinceIso)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Runs `issue` (which stores one token of `kind` for `emailNorm`) unless `max` such tokens were
 * issued in the last `windowMs`; answers what it answered, or null past the limit. The count and
 * the token it allows are one transaction, locked on the email and kind, so that parallel
 * requests, on any node, cannot all read the same count and all issue one.
 */
export async function doIssueWithinLimit<T>(
  ctx: AppContext,
  limit: { kind: EmailTokenKind; emailNorm: string; max: number; windowMs: number },
  issue: (trx: Executor) => Promise<T>,
): Promise<T | null> {
  return inKeyLock(ctx, [`mail:${limit.kind}:${limit.emailNorm}`], async (trx) => {
    const recent = await countTokensSince(trx, limit.emailNorm, limit.kind, nowIso(Date.now() - limit.windowMs));
    return recent >= limit.max ? null : issue(trx);
  });
}
