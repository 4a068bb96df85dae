import { z } from 'zod';
import { Id, limitParam } from './common.js';
import { DisplayName, Email } from './auth.js';
import { defineRoute } from './define.js';
import { Org, page, Role, User } from './shapes.js';

/** Org administration: the org, its users and its audit log (admins of that org). */

export const ORG_LIMITS = {
  pageDefault: 50,
  pageMax: 100,
  queryMax: 100,
  actionMax: 64,
} as const;

/** Typed text that reaches a query: NUL and other control characters are refused. */
const NoControls = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

const Limit = limitParam(ORG_LIMITS.pageMax).default(ORG_LIMITS.pageDefault);

const Cursor = z.string().min(1).max(500).refine(NoControls, 'Not a valid cursor');

/** A date (`2024-05-01`) or a date-time with an offset; anything else is a 400. */
const When = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { message: 'Expected an ISO-8601 date or date-time' });

export const OrgDetails = Org.extend({
  /** Whether people with an email of a verified domain may join by signing up. */
  selfSignup: z.boolean(),
});
export type OrgDetails = z.infer<typeof OrgDetails>;

export const AuditEntry = z.object({
  id: z.string(),
  action: z.string(),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
  createdAt: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `all` lists every user, deleted ones too; omitted lists active and deactivated users. */
export const UserStatusFilter = z.enum(['active', 'deactivated', 'deleted', 'all']);

const OrgParams = z.strictObject({ id: Id });
const OrgUserParams = z.strictObject({ id: Id, uid: Id });
const UserAnswer = z.object({ user: User });

export const get = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:id',
  summary: 'An org (its members may read it)',
  tag: 'orgs',
  params: OrgParams,
  response: z.object({ org: OrgDetails }),
});

export const listUsers = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:id/users',
  summary: "The org's users, sorted by name, paged (admins)",
  tag: 'orgs',
  params: OrgParams,
  query: z.strictObject({
    status: UserStatusFilter.optional(),
    /** Prefix of the name (or of any word of it) or of the email, case-insensitive. */
    q: z.string().trim().max(ORG_LIMITS.queryMax).refine(NoControls, 'A search cannot contain control characters').optional(),
    cursor: Cursor.optional(),
    limit: Limit,
  }),
  response: page(User),
});

export const createUser = defineRoute({
  method: 'POST',
  path: '/api/v1/orgs/:id/users',
  summary: 'Create an active user in the org; they choose a password by the emailed link (admins)',
  tag: 'orgs',
  status: 201,
  params: OrgParams,
  body: z.strictObject({ email: Email, displayName: DisplayName, role: Role.optional() }),
  response: UserAnswer,
});

export const deactivateUser = defineRoute({
  method: 'POST',
  path: '/api/v1/orgs/:id/users/:uid/deactivate',
  summary: 'Deactivate a user: signed out everywhere, cannot sign in nor be messaged (admins)',
  tag: 'orgs',
  params: OrgUserParams,
  response: UserAnswer,
});

export const reactivateUser = defineRoute({
  method: 'POST',
  path: '/api/v1/orgs/:id/users/:uid/reactivate',
  summary: 'Reactivate a deactivated user (admins)',
  tag: 'orgs',
  params: OrgUserParams,
  response: UserAnswer,
});

export const deleteUser = defineRoute({
  method: 'DELETE',
  path: '/api/v1/orgs/:id/users/:uid',
  summary: 'Delete a user: a tombstone keeps their name for history, their email is released (admins)',
  tag: 'orgs',
  params: OrgUserParams,
  response: UserAnswer,
});

export const setUserRole = defineRoute({
  method: 'POST',
  path: '/api/v1/orgs/:id/users/:uid/role',
  summary: "Change a user's role (admins)",
  tag: 'orgs',
  params: OrgUserParams,
  body: z.strictObject({ role: Role }),
  response: UserAnswer,
});

export const audit = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:id/audit',
  summary: "The org's audit log, newest first, paged (admins)",
  tag: 'orgs',
  params: OrgParams,
  query: z.strictObject({
    action: z
      .string()
      .max(ORG_LIMITS.actionMax)
      .regex(/^[a-z_]+(\.[a-z_]+)*$/, 'An action looks like user.deactivated')
      .optional(),
    actorId: Id.optional(),
    /** Entries at or after this time. */
    since: When.optional(),
    /** Entries before this time. */
    until: When.optional(),
    cursor: Cursor.optional(),
    limit: Limit,
  }),
  response: page(AuditEntry),
});
