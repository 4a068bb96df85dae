import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabases, type TestDatabase } from '../testing/databases.js';
import { foldCase, lowerSql, probeCaseFolding } from './fold.js';
import { openDatabase, type Db } from './index.js';

// Letters whose lower case differs between ASCII-only folding, glibc locales and Unicode.
const SAMPLES = ['ÉLODIE', 'Anders Ångström', 'ΟΔΥΣΣΕΥΣ', 'İLKER', 'ǅUJE', 'STRASSE', 'ΣΑΣ', 'plain ascii'];

describe('case folding in the database', () => {
  const opened: { db: Db; test: TestDatabase }[] = [];
  afterAll(async () => {
    for (const o of opened) {
      await o.db.close();
      await o.test.drop();
    }
  });

  const cases: [string, () => Promise<TestDatabase>][] = testDatabases().map((kind) => [kind, () => createTestDatabase(kind)]);
  // A PostgreSQL database made under the C locale folds A–Z only with its plain lower().
  if (testDatabases().includes('postgres')) cases.push(['postgres, C locale', () => createTestDatabase('postgres', { cLocale: true })]);

  for (const [label, make] of cases) {
    it(`folds like JavaScript's foldCase on ${label}`, async () => {
      const test = await make();
      const db = openDatabase(test.url);
      opened.push({ db, test });
      await probeCaseFolding(db.kysely);
      for (const s of SAMPLES) {
        const r = await sql<{ v: string }>`SELECT ${lowerSql(db.kysely, s)} AS v`.execute(db.kysely);
        expect(r.rows[0]!.v, s).toBe(foldCase(s));
      }
      // Inside a transaction too (its executor is another object).
      await db.kysely.transaction().execute(async (trx) => {
        const r = await sql<{ v: string }>`SELECT ${lowerSql(trx, 'ÉLODIE İ')} AS v`.execute(trx);
        expect(r.rows[0]!.v).toBe(foldCase('ÉLODIE İ'));
      });
    });
  }
});
