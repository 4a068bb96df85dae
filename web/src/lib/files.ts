import type { Conversation, FileInfo } from '../../../src/shared/api/shapes.js';
import { participantName } from './conversations.js';
import { formatSize, formatTime, isImage } from './format.js';

/** The chat's files panel: what each row says, and which files may be previewed. */

/**
 * Whether a file may be shown as an inline thumbnail. Only raster images: SVG can carry script,
 * so it is never loaded inline, whatever its name or type claims.
 */
export function canPreviewInline(f: Pick<FileInfo, 'contentType' | 'name'>): boolean {
  if (/svg/i.test(f.contentType) || /\.svgz?$/i.test(f.name.trim())) return false;
  return isImage(f.contentType);
}

/** Who shared a file: "You", a member's name, or "Former member" once they are gone. */
export function uploaderName(conv: Conversation, uploaderId: string, meId: string): string {
  if (uploaderId === meId) return 'You';
  const p = conv.participants.find((x) => x.userId === uploaderId);
  return p ? participantName(p) : 'Former member';
}

export function fileMeta(conv: Conversation, f: FileInfo, meId: string, now?: Date): string {
  return [formatSize(f.size), uploaderName(conv, f.uploaderId, meId), formatTime(f.createdAt, now)].filter(Boolean).join(' · ');
}

/** Appends a further page, dropping anything already listed (a file shared meanwhile shifts pages). */
export function appendPage(list: readonly FileInfo[], page: readonly FileInfo[]): FileInfo[] {
  const seen = new Set(list.map((f) => f.id));
  return [...list, ...page.filter((f) => !seen.has(f.id))];
}
