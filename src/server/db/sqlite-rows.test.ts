import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rowReader } from './sqlite-rows.js';

describe('db: SQLite rows made from one literal', () => {
  let db: SQLite.Database;
  beforeEach(() => {
    db = new SQLite(':memory:');
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT, data BLOB);
      CREATE TABLE u (id TEXT, t_id INTEGER);
      INSERT INTO t VALUES (1, 'ann', 1.5, NULL, x'00ff'), (2, 'bob', -3, 'hi', NULL);
      INSERT INTO u VALUES ('u1', 1), ('u2', 2);`);
  });
  afterEach(() => db.close());

  /** The driver's own objects for the same statement, to compare with. */
  const driver = (sql: string, params: unknown[] = []) => db.prepare(sql).all(params) as Record<string, unknown>[];

  it.each([
    ['every column and type, nulls and a blob', 'SELECT * FROM t ORDER BY id', []],
    ['a parameter and an expression', 'SELECT name, score * ? AS doubled FROM t WHERE id >= ? ORDER BY id', [2, 1]],
    ['a name repeated by a join (the last column wins)', 'SELECT t.*, u.id FROM t JOIN u ON u.t_id = t.id ORDER BY t.id', []],
    ['a column named __proto__', 'SELECT name AS __proto__, id FROM t ORDER BY id', []],
    ['no rows', 'SELECT * FROM t WHERE id > 99', []],
  ])('answers what the driver answers: %s', (_what, sql, params) => {
    const expected = driver(sql, params);
    const reader = rowReader<Record<string, unknown>>(db.prepare(sql))!;
    const rows = reader.all(params);
    expect(rows).toEqual(expected);
    expect(rows.map((r) => Object.keys(r))).toEqual(expected.map((r) => Object.keys(r)));
    expect([...reader.iterate(params)]).toEqual(expected);
    // The statement is read again with other rows in between: the same answer.
    expect(reader.all(params)).toEqual(expected);
  });

  it('keeps the values themselves: numbers, null and the blob', () => {
    const [ann, bob] = rowReader<Record<string, unknown>>(db.prepare('SELECT * FROM t ORDER BY id'))!.all([]);
    expect(ann).toEqual({ id: 1, name: 'ann', score: 1.5, note: null, data: Buffer.from([0, 255]) });
    expect(bob).toEqual({ id: 2, name: 'bob', score: -3, note: 'hi', data: null });
  });

  it('reads a write that returns rows, and is null for one that does not', () => {
    const returning = rowReader<{ id: number; name: string }>(db.prepare('INSERT INTO t (id, name) VALUES (?, ?) RETURNING id, name'))!;
    expect(returning.all([3, 'cat'])).toEqual([{ id: 3, name: 'cat' }]);
    expect(rowReader(db.prepare('UPDATE t SET note = ? WHERE id = ?'))).toBeNull();
  });
});
