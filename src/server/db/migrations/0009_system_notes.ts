import type { Kysely } from 'kysely';

// Frozen: never import application code here. Runs unchanged on SQLite and PostgreSQL.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A message the server writes about a change to a group (people added or removed, someone
  // leaving, a new title): what happened, as JSON text; null for a message a person wrote.
  await db.schema.alterTable('messages').addColumn('system', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('system').execute();
}
