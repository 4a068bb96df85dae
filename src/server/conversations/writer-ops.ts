import type SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import type { Executor } from '../context.js';
import type { MessageRow } from './store.js';

/**
 * The statements of one message batch, in two implementations: array-parameter statements for
 * PostgreSQL (a handful of round trips per batch, whatever its size) and prepared better-sqlite3
 * statements for SQLite (in-process, so many microsecond-cheap statements beat a few big ones).
 * Both run inside a transaction the writer opened; the writer plans, they execute.
 */
export interface BatchOps {
  /** The executor of the open transaction, for hooks of other domains (attachments). */
  db: Executor;
  /** Messages already stored under any of these (conversation, sender, clientId). */
  findExisting(keys: readonly { conversationId: string; senderId: string; clientId: string }[]): Promise<MessageRow[]>;
  /** Adds `n` to each conversation's last_seq; answers the new last_seq of those that exist. */
  bumpSeqs(counts: ReadonlyMap<string, number>, now: string): Promise<Map<string, number>>;
  insert(rows: readonly MessageRow[]): Promise<void>;
  /** Moves each (conversation, user) read cursor up to `seq`, never down. */
  advanceCursors(tops: readonly { conversationId: string; userId: string; seq: number }[]): Promise<void>;
  memberIds(conversationIds: readonly string[]): Promise<Map<string, string[]>>;
}

/**
 * PostgreSQL: set-based statements whose inputs travel as a few array parameters (`unnest`), so
 * each statement has a constant text and costs the same to build and plan at any batch size.
 */
export function postgresOps(trx: Executor): BatchOps {
  return {
    db: trx,
    async findExisting(keys) {
      const r = await sql<MessageRow>`SELECT m.* FROM unnest(${keys.map((k) => k.conversationId)}::text[], ${keys.map((k) => k.senderId)}::text[], ${keys.map((k) => k.clientId)}::text[]) AS v(c, s, k)
        JOIN messages m ON m.conversation_id = v.c AND m.sender_id = v.s AND m.client_id = v.k`.execute(trx);
      return r.rows;
    },
    async bumpSeqs(counts, now) {
      const r = await sql<{ id: string; last_seq: number }>`UPDATE conversations AS c SET last_seq = c.last_seq + v.n, last_activity_at = ${now}
        FROM unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::integer[]) AS v(id, n)
        WHERE c.id = v.id RETURNING c.id, c.last_seq`.execute(trx);
      return new Map(r.rows.map((row) => [row.id, Number(row.last_seq)]));
    },
    async insert(rows) {
      const col = <K extends keyof MessageRow>(k: K) => rows.map((r) => r[k]);
      await sql`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at, edited_at, deleted_at, system)
        SELECT * FROM unnest(${col('id')}::text[], ${col('conversation_id')}::text[], ${col('seq')}::integer[], ${col('sender_id')}::text[],
          ${col('client_id')}::text[], ${col('body')}::text[], ${col('created_at')}::text[], ${col('edited_at')}::text[], ${col('deleted_at')}::text[],
          ${rows.map((r) => r.system ?? null)}::text[])`.execute(trx);
    },
    async advanceCursors(tops) {
      await sql`UPDATE conversation_members AS m SET last_read_seq = v.seq
        FROM unnest(${tops.map((t) => t.conversationId)}::text[], ${tops.map((t) => t.userId)}::text[], ${tops.map((t) => t.seq)}::integer[]) AS v(c, u, seq)
        WHERE m.conversation_id = v.c AND m.user_id = v.u AND m.last_read_seq < v.seq`.execute(trx);
    },
    async memberIds(ids) {
      const out = new Map<string, string[]>(ids.map((id) => [id, []]));
      const r = await sql<{ conversation_id: string; user_id: string }>`SELECT conversation_id, user_id FROM conversation_members
        WHERE conversation_id = ANY(${[...ids]}::text[]) AND left_at IS NULL`.execute(trx);
      for (const row of r.rows) out.get(row.conversation_id)!.push(row.user_id);
      return out;
    },
  };
}

type Stmts = ReturnType<typeof prepare>;

function prepare(raw: SQLite.Database) {
  return {
    existing: raw.prepare<[string, string, string], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_id = ?'),
    bump: raw.prepare<[number, string, string], { last_seq: number }>('UPDATE conversations SET last_seq = last_seq + ?, last_activity_at = ? WHERE id = ? RETURNING last_seq'),
    insert: raw.prepare<[string, string, number, string, string, string, string, string | null, string | null, string | null]>(
      'INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at, edited_at, deleted_at, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    cursor: raw.prepare<[number, string, string, number]>('UPDATE conversation_members SET last_read_seq = ? WHERE conversation_id = ? AND user_id = ? AND last_read_seq < ?'),
    members: raw.prepare<[string], { user_id: string }>('SELECT user_id FROM conversation_members WHERE conversation_id = ? AND left_at IS NULL'),
  };
}

const prepared = new WeakMap<SQLite.Database, Stmts>();

/**
 * Prepared statements on the raw SQLite handle. The caller holds Kysely's one connection (so no
 * other transaction is open on it) and has begun the transaction.
 */
export function sqliteOps(raw: SQLite.Database, db: Executor): BatchOps {
  let s = prepared.get(raw);
  if (!s) prepared.set(raw, (s = prepare(raw)));
  const st = s;
  return {
    db,
    async findExisting(keys) {
      const out: MessageRow[] = [];
      for (const k of keys) {
        const row = st.existing.get(k.conversationId, k.senderId, k.clientId);
        if (row) out.push(row);
      }
      return out;
    },
    async bumpSeqs(counts, now) {
      const out = new Map<string, number>();
      for (const [id, n] of counts) {
        const row = st.bump.get(n, now, id);
        if (row) out.set(id, row.last_seq);
      }
      return out;
    },
    async insert(rows) {
      for (const r of rows) st.insert.run(r.id, r.conversation_id, r.seq, r.sender_id, r.client_id, r.body, r.created_at, r.edited_at, r.deleted_at, r.system ?? null);
    },
    async advanceCursors(tops) {
      for (const t of tops) st.cursor.run(t.seq, t.conversationId, t.userId, t.seq);
    },
    async memberIds(ids) {
      const out = new Map<string, string[]>();
      for (const id of ids) out.set(id, st.members.all(id).map((r) => r.user_id));
      return out;
    },
  };
}
