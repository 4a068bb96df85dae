import { sql, type Kysely } from 'kysely';

// Frozen: never import application code here. Runs unchanged on SQLite and PostgreSQL.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Edits and deletions are numbered per conversation, so a client that reconnects can ask for
  // every change after the last one it saw (`?changedAfter=`). A new message keeps 0 until it is
  // first changed, so sending never writes these columns.
  await db.schema.alterTable('conversations').addColumn('last_change_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('messages').addColumn('change_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Catch-up pages walk this index, so a page of changes costs the same in a huge chat. Partial:
  // only changed messages are in it, so sending a message writes no entry (queries on it must
  // say `change_seq > 0` literally for the planner to use it).
  await db.schema
    .createIndex('messages_conv_change_seq')
    .on('messages')
    .columns(['conversation_id', 'change_seq'])
    .where(sql.ref('change_seq'), '>', 0)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_conv_change_seq').execute();
  await db.schema.alterTable('messages').dropColumn('change_seq').execute();
  await db.schema.alterTable('conversations').dropColumn('last_change_seq').execute();
}
