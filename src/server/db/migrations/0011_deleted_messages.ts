import { sql, type Kysely } from 'kysely';

// Frozen: never import application code here. Runs unchanged on SQLite and PostgreSQL.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A deleted message is not unread: unread counts subtract the deletions above the reader's
  // cursor. Partial: only deleted messages are in it, so sending writes no entry and the lookup
  // costs an index probe for a chat with no deletions.
  await db.schema
    .createIndex('messages_conv_deleted')
    .on('messages')
    .columns(['conversation_id', 'seq'])
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_conv_deleted').execute();
}
