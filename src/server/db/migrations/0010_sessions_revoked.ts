import { sql, type Kysely } from 'kysely';

// Frozen: never import application code here. Runs unchanged on SQLite and PostgreSQL.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Every node asks every few seconds which sessions were revoked lately (by another node or an
  // operator's command), to close their WebSockets. Partial: only revoked sessions are in it.
  await db.schema
    .createIndex('sessions_revoked_at')
    .on('sessions')
    .column('revoked_at')
    .where(sql.ref('revoked_at'), 'is not', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_revoked_at').execute();
}
