/**
 * Row types of every table, as Kysely sees them. Conventions that keep one code path for SQLite
 * and PostgreSQL: ids are text, timestamps are ISO-8601 UTC text (they sort as strings),
 * booleans are integers 0/1, JSON is text. Each domain owns its section; only that domain's
 * store writes its tables.
 */

// ---- orgs ----
export interface OrgsTable {
  id: string;
  name: string;
  plan: string;
  /** JSON of the policy fields an admin has set; unset fields take the plan's defaults. */
  policy: string;
  /** 1 when people with a verified-domain email may join by signing up. */
  self_signup: number;
  created_at: string;
}

export interface OrgDomainsTable {
  domain: string;
  org_id: string;
  verified: number;
  created_at: string;
}

/** Emails that join an org as admin when their owner signs up (`parley org create --admin`). */
export interface OrgPendingAdminsTable {
  org_id: string;
  email_norm: string;
  created_at: string;
}

// ---- accounts ----
export interface UsersTable {
  id: string;
  org_id: string;
  email: string;
  /** Trimmed, lower-cased email; unique among users that are not deleted. */
  email_norm: string;
  display_name: string;
  password_hash: string | null;
  role: string;
  status: string;
  email_verified_at: string | null;
  created_at: string;
  deactivated_at: string | null;
  deleted_at: string | null;
}

/** A sign-up waiting for its email to be verified; becomes a user on verification. */
export interface SignupsTable {
  id: string;
  email: string;
  email_norm: string;
  display_name: string;
  password_hash: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  user_agent: string | null;
  ip: string | null;
}

/** One-time tokens sent by email: `verify`, `reset`, `invite`. Only their hash is stored. */
export interface EmailTokensTable {
  id: string;
  kind: string;
  token_hash: string;
  user_id: string | null;
  signup_id: string | null;
  email_norm: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface LoginFailuresTable {
  id: string;
  /** `acct:<email_norm>` or `ip:<address>`. */
  key: string;
  at: string;
}

// ---- audit ----
export interface AuditLogTable {
  id: string;
  org_id: string;
  actor_id: string | null;
  /** e.g. `user.login`, `user.deactivated`, `org.settings_changed`. */
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** JSON with details. */
  data: string;
  ip: string | null;
  created_at: string;
}

// ---- mail ----
export interface MailOutboxTable {
  id: string;
  to_addr: string;
  subject: string;
  text_body: string;
  kind: string;
  created_at: string;
  sent_at: string | null;
  error: string | null;
}

// ---- settings ----
export interface DeploymentSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

// ---- conversations ----
export interface ConversationsTable {
  id: string;
  kind: string;
  /** The org of a group chat; null for direct chats (they may cross orgs). */
  org_id: string | null;
  title: string | null;
  /** `live | pending | request | declined | blocked` (readonly is derived from policy). */
  state: string;
  /** For a live or request direct chat: the two user ids, sorted, joined by `:`. */
  direct_key: string | null;
  /** For a pending chat: the invitee's normalized email. */
  pending_email: string | null;
  created_by: string | null;
  created_at: string;
  last_seq: number;
  last_activity_at: string;
  /**
   * The number of the conversation's latest edit or deletion (0: none yet). Optional in this
   * type because inserts leave it to the column's default; every row read has it.
   */
  last_change_seq?: number;
}

export interface ConversationMembersTable {
  conversation_id: string;
  user_id: string;
  joined_at: string;
  /** Set when the member left or was removed; they keep read access to nothing after that. */
  left_at: string | null;
  last_read_seq: number;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_id: string;
  body: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  /**
   * The conversation's change number of this message's latest edit or deletion; 0 until then.
   * Optional in this type because the message writer's insert leaves it to the column's default;
   * every row read has it.
   */
  change_seq?: number;
  /**
   * A note the server wrote about a change to a group (`SystemNote` of the API, as JSON text);
   * null (or absent, for an insert) for a message a person wrote.
   */
  system?: string | null;
}

// ---- external (cross-org messaging) ----
export interface UserBlocksTable {
  blocker_id: string;
  blocked_id: string;
  conversation_id: string | null;
  created_at: string;
}

export interface ChatInvitationsTable {
  id: string;
  conversation_id: string;
  inviter_id: string;
  email: string;
  email_norm: string;
  created_at: string;
  accepted_user_id: string | null;
  accepted_at: string | null;
}

/** A message request's answer: `open | accepted | declined | blocked`. */
export interface MessageRequestsTable {
  conversation_id: string;
  sender_id: string;
  recipient_id: string;
  status: string;
  created_at: string;
  decided_at: string | null;
}

export interface DirectoryLookupsTable {
  user_id: string;
  at: string;
}

// ---- files ----
export interface FilesTable {
  id: string;
  conversation_id: string;
  uploader_id: string;
  /** The name as the uploader gave it (sanitized); never used to build a path. */
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  /** The blob's key in the file storage (content-addressed: shared by identical files). */
  storage_key: string;
  created_at: string;
  /** Set when the message carrying it was deleted; the row and blob go at the next collection. */
  deleted_at: string | null;
}

/** Which message carries which file; a file belongs to at most one message. */
export interface MessageFilesTable {
  message_id: string;
  file_id: string;
  position: number;
  created_at: string;
}

export interface Database {
  orgs: OrgsTable;
  org_domains: OrgDomainsTable;
  org_pending_admins: OrgPendingAdminsTable;
  users: UsersTable;
  signups: SignupsTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
  mail_outbox: MailOutboxTable;
  deployment_settings: DeploymentSettingsTable;
  conversations: ConversationsTable;
  conversation_members: ConversationMembersTable;
  messages: MessagesTable;
  user_blocks: UserBlocksTable;
  chat_invitations: ChatInvitationsTable;
  message_requests: MessageRequestsTable;
  directory_lookups: DirectoryLookupsTable;
  files: FilesTable;
  message_files: MessageFilesTable;
}
