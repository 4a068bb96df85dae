import { sql, type Kysely } from 'kysely';

// Frozen once released: never import application code here. Runs unchanged on SQLite and
// PostgreSQL (partial indexes and `IN (...)` predicates are understood by both).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text')
    .addColumn('title', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('direct_key', 'text')
    .addColumn('pending_email', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_activity_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('conversations_direct_key').on('conversations').column('direct_key').execute();
  // At most one open (live or request) direct chat per pair of people: concurrent "start
  // communicating" calls race on this index and the loser re-reads the winner's chat.
  await sql`CREATE UNIQUE INDEX conversations_direct_open ON conversations (direct_key) WHERE state IN ('live', 'request')`.execute(db);
  await db.schema.createIndex('conversations_pending_email').on('conversations').column('pending_email').execute();

  await db.schema
    .createTable('conversation_members')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addColumn('left_at', 'text')
    .addColumn('last_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('conversation_members_pk', ['conversation_id', 'user_id'])
    .execute();
  // The chat list starts from a user's memberships.
  await db.schema.createIndex('conversation_members_user').on('conversation_members').columns(['user_id', 'left_at']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('edited_at', 'text')
    .addColumn('deleted_at', 'text')
    .execute();
  // seq has no gaps and no duplicates within a conversation; history pages walk this index.
  await db.schema.createIndex('messages_conv_seq').on('messages').columns(['conversation_id', 'seq']).unique().execute();
  // A retried clientId never makes a second message, even across a crash.
  await db.schema
    .createIndex('messages_client_id')
    .on('messages')
    .columns(['conversation_id', 'sender_id', 'client_id'])
    .unique()
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('conversation_members').execute();
  await db.schema.dropTable('conversations').execute();
}
