import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FileInfo } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { liveSessionIds } from '../accounts/sessions.js';
import type { UserWithOrg } from '../accounts/store.js';
import { checkMembership } from '../conversations/access.js';
import { checkCanSend } from '../conversations/messages.js';
import { newId, nowIso } from '../db/util.js';
import { AppError, notFound, policyRefused, unauthenticated } from '../http/errors.js';
import { Facts } from '../external/facts.js';
import { emailDomainOf } from '../external/verdict.js';
import { defaultPolicy } from '../orgs/policy.js';
import { getOrgRow, orgPolicy } from '../orgs/store.js';
import { FileTooLargeError, LocalDiskStorage, type FileStorage } from './storage.js';
import { getLiveFile, insertFile, listSharedFiles, memberOrgIds, presentFile, type FileRow } from './store.js';

const storages = new WeakMap<AppContext, FileStorage>();

/** The deployment's file storage (local disk under `<dataDir>/files`). */
export function fileStorage(ctx: AppContext): FileStorage {
  let s = storages.get(ctx);
  if (!s) {
    s = new LocalDiskStorage(path.join(ctx.config.dataDir, 'files'));
    storages.set(ctx, s);
  }
  return s;
}

export function fileTooLarge(maxBytes: number, closeConnection = true): AppError {
  const mib = maxBytes / (1024 * 1024);
  const shown = mib >= 1 ? `${Math.floor(mib * 10) / 10} MiB` : `${maxBytes} bytes`;
  return new AppError(413, 'payload_too_large', `The file is larger than this chat allows (${shown})`, { reason: 'file_too_large' }, closeConnection ? { connection: 'close' } : {});
}

/**
 * Whether `user` may upload into the conversation, and the largest file allowed there: the
 * deployment's maximum and every member org's `maxFileBytes`. An upload is judged exactly like
 * sending a message with files (the same check the send path runs), so a message request not yet
 * accepted (`request_limit`), a declined or blocked chat, and an external chat that policy has
 * made read-only all refuse files up front rather than after the bytes have been stored.
 */
export async function checkUploadTarget(ctx: AppContext, user: UserWithOrg, conversationId: string): Promise<{ maxBytes: number }> {
  const conv = await checkMembership(ctx.db, conversationId, user.id);
  // Both sides of a pending request get the same answer: nothing but the request's few messages.
  if (conv.state === 'request') {
    throw policyRefused('request_limit', 'Files can be shared once the message request has been accepted.');
  }
  await checkCanSend(ctx, conv, user, true);
  return checkFilesPolicy(ctx, conv, user.org_id);
}

/**
 * The org side of sharing files in a conversation now: across orgs both must have
 * `externalFiles` on; the limit is the smallest of the deployment's and every member org's.
 * Checked at upload and again when a message attaches files (a policy may change in between).
 */
export async function checkFilesPolicy(
  ctx: AppContext,
  conversation: { id: string; pending_email: string | null },
  userOrgId: string,
): Promise<{ maxBytes: number }> {
  const orgIds = new Set(await memberOrgIds(ctx.db, conversation.id));
  orgIds.add(userOrgId);
  let maxBytes = ctx.config.maxFileBytes;
  let external = orgIds.size > 1;
  if (conversation.pending_email) {
    // A pending chat's other side is whoever verifies its email: a member of the org that claimed
    // its domain, or (a domain no org claimed) of an org of their own, on the default policy.
    // Files shared now are theirs once the chat binds, so that org's rules apply already.
    const domainOrg = await new Facts(ctx.db).orgOfDomain(emailDomainOf(conversation.pending_email));
    if (domainOrg) orgIds.add(domainOrg.id);
    else maxBytes = Math.min(maxBytes, defaultPolicy('basic').maxFileBytes);
    external ||= domainOrg?.id !== userOrgId;
  }
  for (const orgId of orgIds) {
    const org = await getOrgRow(ctx.db, orgId);
    if (!org) continue;
    const policy = orgPolicy(org);
    if (external && !policy.externalFiles) {
      throw policyRefused(
        'external_files_disabled',
        orgId === userOrgId
          ? 'Your organization does not allow sharing files with other organizations.'
          : 'The other organization does not accept files from other organizations.',
      );
    }
    maxBytes = Math.min(maxBytes, policy.maxFileBytes);
  }
  return { maxBytes };
}

export interface UploadInput {
  conversationId: string;
  uploaderId: string;
  /** The session the upload was made under: it must still be live when the upload is recorded. */
  sessionId: string;
  name: string;
  contentType: string;
  maxBytes: number;
  source: Readable | AsyncIterable<Uint8Array>;
}

/** Streams the upload into storage (never buffered), then records it. */
export async function doStoreUpload(ctx: AppContext, input: UploadInput): Promise<FileInfo> {
  const storage = fileStorage(ctx);
  let put;
  try {
    put = await storage.put(input.source, { maxBytes: input.maxBytes });
  } catch (err) {
    if (err instanceof FileTooLargeError || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw fileTooLarge(input.maxBytes);
    throw err;
  }
  // A long upload may outlive the membership, or the session (signed out, deactivated, password
  // reset): nothing is recorded then, and the blob is collected with the other orphans.
  if (!(await liveSessionIds(ctx.db, [input.sessionId])).has(input.sessionId)) throw unauthenticated('Your session ended while the file was uploading; sign in again');
  await checkMembership(ctx.db, input.conversationId, input.uploaderId);
  const row: FileRow = {
    id: newId(),
    conversation_id: input.conversationId,
    uploader_id: input.uploaderId,
    name: input.name,
    content_type: input.contentType,
    size: put.size,
    sha256: put.sha256,
    storage_key: put.key,
    created_at: nowIso(),
    deleted_at: null,
  };
  await insertFile(ctx.db, row);
  return presentFile(row);
}

/** A file the user may read: it exists and they are a current member of its conversation. */
export async function checkFileAccess(ctx: AppContext, userId: string, fileId: string): Promise<FileRow> {
  const file = await getLiveFile(ctx.db, fileId);
  if (!file) throw notFound('File');
  try {
    await checkMembership(ctx.db, file.conversation_id, userId);
  } catch {
    throw notFound('File');
  }
  return file;
}

export async function listConversationFiles(
  ctx: AppContext,
  userId: string,
  conversationId: string,
  opts: { cursor?: string; limit: number },
): Promise<{ items: FileInfo[]; next?: string }> {
  await checkMembership(ctx.db, conversationId, userId);
  const rows = await listSharedFiles(ctx.db, conversationId, { before: opts.cursor, limit: opts.limit + 1 });
  const items = rows.slice(0, opts.limit).map(presentFile);
  return rows.length > opts.limit ? { items, next: items[items.length - 1]!.id } : { items };
}
