import { createHash } from 'node:crypto';
import type SQLite from 'better-sqlite3';
import type { Compilable, CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Executor } from '../context.js';
import { rowReader, type RowReader } from './sqlite-rows.js';

/**
 * A Kysely query built and compiled once, then run with new parameter values.
 *
 * Building a query (builder objects, frozen nodes) and compiling it to SQL cost several times
 * more than running a small indexed query; on the hottest paths (authentication, sending) that
 * overhead was most of the database time. The query is still written with the Kysely builder, so
 * SQLite and PostgreSQL share one definition: it is compiled once per dialect (keyed by the
 * executor's dialect adapter, which transactions share with their database), with placeholder
 * values that are swapped for the real ones at each run.
 *
 * Rule for `build`: each parameter must reach the query unchanged, as a value (`where(col, '=',
 * p)`); a parameter that is transformed, or decides the query's shape, cannot be precompiled
 * (compiling throws, so such a misuse never runs silently).
 *
 * On PostgreSQL, outside a transaction, the same SQL runs as a named prepared statement on the
 * pool (`registerPostgresPool`): each connection parses and plans it once instead of at every
 * run, which was most of the database's CPU for a message send. On SQLite, when no transaction is
 * open on the connection, a read runs as a prepared statement straight on the handle
 * (`registerSqliteHandle`), skipping Kysely's asynchronous connection hand-over: better-sqlite3 is
 * synchronous, so nothing else can run on the connection meanwhile, and with no transaction open
 * the read sees exactly what is committed. Inside a transaction it goes through Kysely as before.
 */
export interface Precompiled<P extends readonly unknown[], R> {
  execute(db: Executor, ...params: P): Promise<R[]>;
  executeTakeFirst(db: Executor, ...params: P): Promise<R | undefined>;
}

const MARK = '\u0000parley-param\u0000';

const pools = new WeakMap<Executor, pg.Pool>();
const handles = new WeakMap<Executor, SQLite.Database>();

/** The raw handle under a SQLite Kysely instance (db/index.ts). */
export function registerSqliteHandle(db: Executor, raw: SQLite.Database): void {
  handles.set(db, raw);
}

/** The raw handle under a SQLite Kysely instance; undefined for PostgreSQL or a transaction. */
export function sqliteHandleOf(db: Executor): SQLite.Database | undefined {
  return handles.get(db);
}

/** The pool under a PostgreSQL Kysely instance, for named prepared statements (db/index.ts). */
export function registerPostgresPool(db: Executor, pool: pg.Pool): void {
  pools.set(db, pool);
}

interface Template<R> {
  compiled: CompiledQuery<R>;
  /** The prepared statement's name: the same SQL text always has the same name. */
  name: string;
  /** SQLite: the statement prepared on each handle, and how its rows are read (null: a write). */
  statements: WeakMap<SQLite.Database, RowReader<R> | null>;
  /** For each compiled parameter, the index of the caller's parameter it takes, or -1. */
  slots: number[];
}

export function precompiled<P extends readonly unknown[], R>(arity: P['length'], build: (db: Executor, ...params: P) => Compilable<R>): Precompiled<P, R> {
  const templates = new WeakMap<object, Template<R>>();

  const template = (db: Executor): Template<R> => {
    const key = db.getExecutor().adapter;
    let t = templates.get(key);
    if (t) return t;
    const marks = Array.from({ length: arity }, (_, i) => `${MARK}${i}`);
    const compiled = build(db, ...(marks as unknown as P)).compile();
    const seen = new Set<number>();
    const slots = compiled.parameters.map((p) => {
      if (typeof p !== 'string' || !p.includes(MARK)) return -1;
      const i = marks.indexOf(p);
      if (i < 0) throw new Error('precompiled: a parameter was transformed inside the query');
      seen.add(i);
      return i;
    });
    if (seen.size !== arity) throw new Error('precompiled: a parameter does not reach the query as a value');
    t = { compiled, slots, name: `parley_${createHash('sha1').update(compiled.sql).digest('hex').slice(0, 24)}`, statements: new WeakMap() };
    templates.set(key, t);
    return t;
  };

  const run = async (db: Executor, params: P): Promise<R[]> => {
    const t = template(db);
    const parameters = t.compiled.parameters.map((p, i) => (t.slots[i]! >= 0 ? params[t.slots[i]!] : p));
    const raw = handles.get(db);
    if (raw && !raw.inTransaction) {
      let reader = t.statements.get(raw);
      if (reader === undefined) t.statements.set(raw, (reader = rowReader<R>(raw.prepare(t.compiled.sql))));
      if (reader) return reader.all(parameters);
    }
    const pool = db.isTransaction ? undefined : pools.get(db);
    if (pool) return (await pool.query<R & pg.QueryResultRow>({ name: t.name, text: t.compiled.sql, values: parameters })).rows;
    const r = await db.executeQuery<R>({ ...t.compiled, parameters });
    return r.rows;
  };

  return {
    execute: (db, ...params) => run(db, params),
    executeTakeFirst: async (db, ...params) => (await run(db, params))[0],
  };
}
