import type { Kysely } from 'kysely';

// Frozen: never import application code here.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One person blocking another (from a message request). A block is between people, not chats,
  // so it also stops new chats with the same person.
  await db.schema
    .createTable('user_blocks')
    .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('conversation_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('user_blocks_blocked').on('user_blocks').column('blocked_id').execute();

  // Invitations mailed for pending chats: the activity feed shows them as pending until the
  // invitee verifies their email, then as accepted.
  await db.schema
    .createTable('chat_invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('inviter_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_norm', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('accepted_user_id', 'text')
    .addColumn('accepted_at', 'text')
    .execute();
  await db.schema.createIndex('chat_invitations_inviter').on('chat_invitations').columns(['inviter_id', 'created_at']).execute();
  await db.schema.createIndex('chat_invitations_email').on('chat_invitations').column('email_norm').execute();

  // Answers to message requests, for the activity feed and the audit trail; the chat's own state
  // lives on the conversation.
  await db.schema
    .createTable('message_requests')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('recipient_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema.createIndex('message_requests_recipient').on('message_requests').columns(['recipient_id', 'created_at']).execute();

  // Directory look-ups per user per minute (shared by every node, so the limit holds behind a
  // load balancer too).
  await db.schema
    .createTable('directory_lookups')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('directory_lookups_user').on('directory_lookups').columns(['user_id', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('directory_lookups').execute();
  await db.schema.dropTable('message_requests').execute();
  await db.schema.dropTable('chat_invitations').execute();
  await db.schema.dropTable('user_blocks').execute();
}
