import type SQLite from 'better-sqlite3';
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.js';
import { currentMemberIdsOf, type MessageRow } from './store.js';

/**
 * The statements of one message batch, in two implementations: Kysely (PostgreSQL, and any
 * database) and prepared better-sqlite3 statements (SQLite, where a batch is a few thousand
 * microsecond-cheap statements instead of a few big queries Kysely has to build and compile).
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

const CHUNK = 500;

function valuesList(rows: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql`(VALUES ${sql.join(rows)})`;
}

function* chunked<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** Set-based statements through Kysely: a handful of queries per batch, whatever its size. */
export function kyselyOps(trx: Executor): BatchOps {
  return {
    db: trx,
    async findExisting(keys) {
      const out: MessageRow[] = [];
      for (const part of chunked(keys)) {
        // A join on a VALUES list probes the unique (conversation_id, sender_id, client_id)
        // index once per key.
        const r = await sql<MessageRow>`SELECT m.* FROM ${valuesList(part.map((k) => sql`(${k.conversationId}, ${k.senderId}, ${k.clientId})`))} AS v
          JOIN messages m ON m.conversation_id = v.column1 AND m.sender_id = v.column2 AND m.client_id = v.column3`.execute(trx);
        for (const row of r.rows) out.push({ ...row, seq: Number(row.seq) });
      }
      return out;
    },
    async bumpSeqs(counts, now) {
      const out = new Map<string, number>();
      for (const part of chunked([...counts])) {
        const r = await sql<{ id: string; last_seq: number }>`UPDATE conversations SET last_seq = last_seq + v.column2, last_activity_at = ${now}
          FROM ${valuesList(part.map(([id, n]) => sql`(${id}, CAST(${n} AS integer))`))} AS v
          WHERE conversations.id = v.column1 RETURNING id, last_seq`.execute(trx);
        for (const row of r.rows) out.set(row.id, Number(row.last_seq));
      }
      return out;
    },
    async insert(rows) {
      for (const part of chunked(rows)) await trx.insertInto('messages').values(part).execute();
    },
    async advanceCursors(tops) {
      for (const part of chunked(tops)) {
        await sql`UPDATE conversation_members SET last_read_seq = v.column3
          FROM ${valuesList(part.map((p) => sql`(${p.conversationId}, ${p.userId}, CAST(${p.seq} AS integer))`))} AS v
          WHERE conversation_members.conversation_id = v.column1 AND conversation_members.user_id = v.column2
            AND conversation_members.last_read_seq < v.column3`.execute(trx);
      }
    },
    memberIds: (ids) => currentMemberIdsOf(trx, ids),
  };
}

type Stmts = ReturnType<typeof prepare>;

function prepare(raw: SQLite.Database) {
  return {
    existing: raw.prepare<[string, string, string], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_id = ?'),
    bump: raw.prepare<[number, string, string], { last_seq: number }>('UPDATE conversations SET last_seq = last_seq + ?, last_activity_at = ? WHERE id = ? RETURNING last_seq'),
    insert: raw.prepare<[string, string, number, string, string, string, string, string | null, string | null]>(
      'INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at, edited_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
      for (const r of rows) st.insert.run(r.id, r.conversation_id, r.seq, r.sender_id, r.client_id, r.body, r.created_at, r.edited_at, r.deleted_at);
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
