import { z } from 'zod';
import { defineRoute } from './define.js';
import { Capability, UserStatus } from './shapes.js';

/** The directory: find people to talk to (design.md, "Start communicating"). */

export const DIRECTORY_LIMITS = {
  queryMax: 254,
  results: 20,
  /** Searches per user per minute. */
  perMinute: 30,
} as const;

export const DirectoryEntry = z.object({
  userId: z.string(),
  email: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  status: UserStatus,
  /** In another org than the searcher's. */
  external: z.boolean(),
  /** Whether "start communicating" with this person would succeed now, and why not. */
  canMessage: Capability,
});
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

export const SearchResult = z.object({
  items: z.array(DirectoryEntry),
  /** The query is a full email address of nobody on this deployment. */
  notRegistered: z.boolean().optional(),
  /** With `notRegistered`: the searcher may start a pending chat and invite them. */
  canInvite: z.boolean().optional(),
  /** With `notRegistered`: why not, when they may not. */
  invite: Capability.optional(),
});
export type SearchResult = z.infer<typeof SearchResult>;

export const search = defineRoute({
  method: 'GET',
  path: '/api/v1/directory/search',
  summary:
    'Own-org people by name or email prefix; a person of another org only by their exact full email; a full email of nobody answers notRegistered and canInvite',
  tag: 'directory',
  crossOrg: true,
  query: z.strictObject({
    q: z
      .string()
      .trim()
      .min(1, 'Type a name or an email address')
      .max(DIRECTORY_LIMITS.queryMax, `A search has at most ${DIRECTORY_LIMITS.queryMax} characters`)
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'A search cannot contain control characters'),
  }),
  response: SearchResult,
});
