import type SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import type { Executor } from '../context.js';
import type { MessageRow } from './store.js';

/**
 * A new message of a batch, planned by the writer: `rank` is its place (1, 2, …) among the
 * batch's new messages of its conversation.
 */
export interface PlannedRow {
  row: MessageRow;
  rank: number;
}

/**
 * The seq of a planned row: its conversation's `last_seq` after the batch's bump, less the batch's
 * count of new messages there, plus the row's rank. (The PostgreSQL statement works it out the
 * same way in SQL.)
 */
export function seqOf(lastSeq: number, count: number, rank: number): number {
  return lastSeq - count + rank;
}

export interface BatchReads {
  /** Messages already stored under any of the batch's (conversation, sender, clientId). */
  existing: MessageRow[];
  /** The current members of each of the batch's conversations. */
  members: Map<string, string[]>;
}

/**
 * The statements of one message batch, in two implementations: a few set-based statements for
 * PostgreSQL, whose inputs travel as array parameters (`unnest`), and prepared better-sqlite3
 * statements for SQLite (in-process, so many microsecond-cheap statements beat a few big ones).
 * Both run inside a transaction the writer opened, in two steps: `read`, then (once the writer
 * has planned) `store`.
 *
 * On PostgreSQL each step is one round trip. The conversations are locked while they run (see the
 * writer), and the other nodes' batches wait for those locks: every round trip taken while holding
 * them is a round trip of every other node's wait, so they are as few as the plan allows.
 */
export interface BatchOps {
  /** The executor of the open transaction, for hooks of other domains (attachments). */
  db: Executor;
  read(keys: readonly { conversationId: string; senderId: string; clientId: string }[], conversationIds: readonly string[]): Promise<BatchReads>;
  /**
   * Stores the planned rows: adds each conversation's count to its `last_seq`, inserts each row
   * with seq = (new last_seq − count + rank), and moves each sender's read cursor up to their last
   * new message (never down). Answers the new last_seq of the conversations that exist; the rows
   * of any other are not stored. The rows' `seq` is left for the caller to fill in.
   */
  store(rows: readonly PlannedRow[], counts: ReadonlyMap<string, number>, now: string): Promise<Map<string, number>>;
}

/** PostgreSQL: one statement per step, each with a constant text whatever the batch size. */
export function postgresOps(trx: Executor): BatchOps {
  return {
    db: trx,
    async read(keys, conversationIds) {
      const r = await sql<{ existing: MessageRow[]; members: [string, string][] }>`SELECT
        (SELECT coalesce(json_agg(m.*), '[]') FROM unnest(${keys.map((k) => k.conversationId)}::text[], ${keys.map((k) => k.senderId)}::text[], ${keys.map((k) => k.clientId)}::text[]) AS v(c, s, k)
          JOIN messages m ON m.conversation_id = v.c AND m.sender_id = v.s AND m.client_id = v.k) AS existing,
        (SELECT coalesce(json_agg(json_build_array(conversation_id, user_id)), '[]') FROM conversation_members
          WHERE conversation_id = ANY(${[...conversationIds]}::text[]) AND left_at IS NULL) AS members`.execute(trx);
      const row = r.rows[0]!;
      const members = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
      for (const [c, u] of row.members) members.get(c)?.push(u);
      return { existing: row.existing, members };
    },
    async store(rows, counts, now) {
      if (rows.length === 0) return new Map();
      const col = <K extends keyof MessageRow>(k: K) => rows.map((p) => p.row[k]);
      // Data-modifying CTEs all run, whether or not the final SELECT reads them; `cur` reads what
      // `ins` inserted, so a sender's cursor never passes a message that was not stored.
      const r = await sql<{ id: string; last_seq: number }>`WITH
        v AS (SELECT * FROM unnest(${col('id')}::text[], ${col('conversation_id')}::text[], ${rows.map((p) => p.rank)}::integer[], ${col('sender_id')}::text[],
          ${col('client_id')}::text[], ${col('body')}::text[], ${rows.map((p) => p.row.system ?? null)}::text[]) AS v(id, conversation_id, rank, sender_id, client_id, body, system)),
        bumped AS (UPDATE conversations AS c SET last_seq = c.last_seq + n.n, last_activity_at = ${now}
          FROM unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::integer[]) AS n(id, n) WHERE c.id = n.id RETURNING c.id, c.last_seq, n.n),
        ins AS (INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at, edited_at, deleted_at, system)
          SELECT v.id, v.conversation_id, b.last_seq - b.n + v.rank, v.sender_id, v.client_id, v.body, ${now}, NULL, NULL, v.system
          FROM v JOIN bumped b ON b.id = v.conversation_id RETURNING conversation_id, sender_id, seq),
        cur AS (UPDATE conversation_members AS m SET last_read_seq = t.seq
          FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM ins GROUP BY conversation_id, sender_id) AS t
          WHERE m.conversation_id = t.conversation_id AND m.user_id = t.sender_id AND m.last_read_seq < t.seq)
        SELECT id, last_seq FROM bumped`.execute(trx);
      return new Map(r.rows.map((row) => [row.id, Number(row.last_seq)]));
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
    // The batch's own transaction control, prepared once: `exec` parses its text on every call,
    // and a batch runs four of these.
    begin: raw.prepare('BEGIN IMMEDIATE'),
    commit: raw.prepare('COMMIT'),
    rollback: raw.prepare('ROLLBACK'),
    syncNormal: raw.prepare('PRAGMA synchronous = NORMAL'),
    syncFull: raw.prepare('PRAGMA synchronous = FULL'),
  };
}

const prepared = new WeakMap<SQLite.Database, Stmts>();

function statementsOf(raw: SQLite.Database): Stmts {
  let s = prepared.get(raw);
  if (!s) prepared.set(raw, (s = prepare(raw)));
  return s;
}

/** A batch's transaction on the raw SQLite handle: begin, commit, roll back, and its sync mode. */
export function sqliteControl(raw: SQLite.Database) {
  const st = statementsOf(raw);
  return {
    begin: () => st.begin.run(),
    commit: () => st.commit.run(),
    rollback: () => st.rollback.run(),
    /** Commits that only write the WAL; the writer flushes it itself (see wal-sync.ts). */
    deferSync: () => st.syncNormal.run(),
    restoreSync: () => st.syncFull.run(),
  };
}

/**
 * Prepared statements on the raw SQLite handle. The caller holds Kysely's one connection (so no
 * other transaction is open on it) and has begun the transaction.
 */
export function sqliteOps(raw: SQLite.Database, db: Executor): BatchOps {
  const st = statementsOf(raw);
  return {
    db,
    async read(keys, conversationIds) {
      const existing: MessageRow[] = [];
      for (const k of keys) {
        const row = st.existing.get(k.conversationId, k.senderId, k.clientId);
        if (row) existing.push(row);
      }
      const members = new Map<string, string[]>();
      for (const id of conversationIds) members.set(id, st.members.all(id).map((r) => r.user_id));
      return { existing, members };
    },
    async store(rows, counts, now) {
      const last = new Map<string, number>();
      for (const [id, n] of counts) {
        const row = st.bump.get(n, now, id);
        if (row) last.set(id, row.last_seq);
      }
      const top = new Map<string, { conversationId: string; userId: string; seq: number }>();
      for (const { row: r, rank } of rows) {
        const l = last.get(r.conversation_id);
        if (l === undefined) continue;
        const seq = seqOf(l, counts.get(r.conversation_id)!, rank);
        st.insert.run(r.id, r.conversation_id, seq, r.sender_id, r.client_id, r.body, r.created_at, r.edited_at, r.deleted_at, r.system ?? null);
        // Rows come in rank order, so each sender's last row in a conversation is its highest.
        top.set(`${r.conversation_id}\u0000${r.sender_id}`, { conversationId: r.conversation_id, userId: r.sender_id, seq });
      }
      for (const t of top.values()) st.cursor.run(t.seq, t.conversationId, t.userId, t.seq);
      return last;
    },
  };
}
