import { z } from 'zod';
import { POLICY_REASONS } from '../errors.js';

/**
 * The response shapes of design.md ("Shapes"). Every endpoint's response schema is built from
 * these, and the server's presenters return exactly these types.
 */

export const Plan = z.enum(['basic', 'trial', 'paid', 'channel_partner']);
export type Plan = z.infer<typeof Plan>;

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

export const UserStatus = z.enum(['active', 'deactivated', 'deleted']);
export type UserStatus = z.infer<typeof UserStatus>;

export const Stage = z.enum(['off', 'beta', 'ga']);
export type Stage = z.infer<typeof Stage>;

export const PolicyReason = z.enum(POLICY_REASONS);

export const User = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  role: Role,
  status: UserStatus,
  emailVerified: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof User>;

export const Org = z.object({
  id: z.string(),
  name: z.string(),
  plan: Plan,
  domains: z.array(z.string()),
  createdAt: z.string(),
});
export type Org = z.infer<typeof Org>;

export const Capability = z.object({
  allowed: z.boolean(),
  reason: PolicyReason.optional(),
  message: z.string().optional(),
});
export type Capability = z.infer<typeof Capability>;

export const Participant = z.object({
  userId: z.string().nullable(),
  email: z.string(),
  displayName: z.string(),
  orgId: z.string().nullable(),
  orgName: z.string().nullable(),
  external: z.boolean(),
  deleted: z.boolean(),
  pending: z.boolean(),
  /** `active | deactivated | deleted`, or null for a pending invitee. */
  status: UserStatus.nullable(),
  /** How to show the person: "Former member of Acme", "External · Acme", "Invited · not on Parley yet". */
  label: z.string().optional(),
  /**
   * How far a current member has read (the `read` events tell it as it moves): what a client
   * shows as "seen" after a reload. Absent for people who left and for a pending invitee.
   */
  lastReadSeq: z.number().int().optional(),
});
export type Participant = z.infer<typeof Participant>;

export const FileInfo = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  contentType: z.string(),
  sha256: z.string(),
  conversationId: z.string(),
  uploaderId: z.string(),
  createdAt: z.string(),
  hasThumbnail: z.boolean().optional(),
});
export type FileInfo = z.infer<typeof FileInfo>;

/**
 * What a note the server writes into a group says happened (the message's body says it in words,
 * for clients that show only text): people added or removed by `actorId`, `actorId` leaving, or a
 * new title.
 */
export const SystemNote = z.object({
  action: z.enum(['created', 'members_added', 'member_removed', 'member_left', 'renamed']),
  actorId: z.string(),
  /** The people concerned; the first 50 when there were more (`userCount` then says how many). */
  userIds: z.array(z.string()).optional(),
  userCount: z.number().optional(),
  title: z.string().optional(),
});
export type SystemNote = z.infer<typeof SystemNote>;

export const Message = z.object({
  id: z.string(),
  conversationId: z.string(),
  seq: z.number(),
  clientId: z.string(),
  senderId: z.string(),
  body: z.string(),
  files: z.array(FileInfo),
  createdAt: z.string(),
  editedAt: z.string().nullable().optional(),
  deletedAt: z.string().nullable().optional(),
  /**
   * The conversation's change number of this message's latest edit or deletion (0: never
   * changed). A client catches up on changes with `GET …/messages?changedAfter=`; of two copies
   * of a message, the one with the higher changeSeq is newer.
   */
  changeSeq: z.number(),
  /** Present on a note the server wrote about a change to the group; it cannot be edited or deleted. */
  system: SystemNote.optional(),
});
export type Message = z.infer<typeof Message>;

export const ConversationKind = z.enum(['direct', 'group']);
export const ConversationState = z.enum(['live', 'pending', 'request', 'declined', 'blocked', 'readonly']);
export type ConversationState = z.infer<typeof ConversationState>;

export const Conversation = z.object({
  id: z.string(),
  kind: ConversationKind,
  title: z.string().nullable().optional(),
  state: ConversationState,
  /** Why the chat is read-only or refused, when it is. */
  reason: PolicyReason.optional(),
  reasonMessage: z.string().optional(),
  participants: z.array(Participant),
  /** A group's people who left or were removed (so their messages keep a name); absent when none. */
  formerParticipants: z.array(Participant).optional(),
  lastMessage: Message.nullable().optional(),
  unreadCount: z.number(),
  lastSeq: z.number(),
  /** The number of the conversation's latest edit or deletion of a message (0: none yet). */
  lastChangeSeq: z.number(),
  lastReadSeq: z.number(),
  lastActivityAt: z.string(),
  createdAt: z.string(),
  /** The member who started it (for requests: the sender). */
  createdBy: z.string().nullable(),
});
export type Conversation = z.infer<typeof Conversation>;

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().optional() });
}

export const Ok = z.object({ ok: z.literal(true) });

/** An org's cross-org policy (design.md, "Who may talk to whom"). */
export const OrgPolicy = z.object({
  externalMessaging: z.boolean(),
  allow: z.enum(['anyone', 'listed']),
  allowDomains: z.array(z.string()),
  blockDomains: z.array(z.string()),
  requireAcceptance: z.boolean(),
  externalFiles: z.boolean(),
  maxFileBytes: z.number(),
});
export type OrgPolicy = z.infer<typeof OrgPolicy>;
