import { z } from 'zod';
import { Id, limitParam, UNSAFE_NAME_CHARS } from './common.js';
import { defineRoute } from './define.js';
import { FileInfo, page } from './shapes.js';

export const FILE_LIMITS = {
  nameMax: 255,
  listLimitMax: 100,
  listLimitDefault: 50,
} as const;


/**
 * A file's name as people see it: 1–255 characters after trimming, no control characters, no
 * path separators, not `.` or `..`. It is stored for display only; paths never come from it.
 */
export const FileName = z
  .string()
  .max(4 * FILE_LIMITS.nameMax, `A file name has at most ${FILE_LIMITS.nameMax} characters`)
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, 'A file name is required')
      .max(FILE_LIMITS.nameMax, `A file name has at most ${FILE_LIMITS.nameMax} characters`)
      .refine((s) => !UNSAFE_NAME_CHARS.test(s), 'A file name cannot contain control characters')
      .refine((s) => !/[/\\]/.test(s), 'A file name cannot contain / or \\')
      .refine((s) => s !== '.' && s !== '..', 'Not a valid file name'),
  );

const LimitParam = limitParam(FILE_LIMITS.listLimitMax);

/**
 * Upload: the body is the file itself (any Content-Type, streamed) or multipart/form-data with
 * one file part. `name` is required for a raw body; with multipart it defaults to the part's
 * file name.
 */
export const upload = defineRoute({
  method: 'POST',
  path: '/api/v1/files',
  summary: 'Upload a file into a conversation (raw body or multipart/form-data); attach it by sending a message with its id',
  tag: 'files',
  status: 201,
  query: z.object({ conversationId: Id, name: FileName.optional() }),
  response: FileInfo,
});

export const DownloadParams = z.object({ id: Id });
export const DownloadQuery = z.object({ inline: z.enum(['0', '1']).optional() });

/** Download: the file's bytes (not JSON). Supports Range, ETag/If-None-Match and `inline=1`. */
export const download = defineRoute({
  method: 'GET',
  path: '/api/v1/files/:id',
  summary: 'Download a file (members of its conversation only); Range and If-None-Match supported',
  tag: 'files',
  params: DownloadParams,
  query: DownloadQuery,
  response: z.unknown(),
});

export const listForConversation = defineRoute({
  method: 'GET',
  path: '/api/v1/conversations/:id/files',
  summary: 'The files shared in a conversation (attached to messages that are not deleted), newest first',
  tag: 'files',
  params: z.object({ id: Id }),
  query: z.object({ cursor: Id.optional(), limit: LimitParam.optional() }),
  response: page(FileInfo),
});
