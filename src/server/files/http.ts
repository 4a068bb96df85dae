import path from 'node:path';

/**
 * HTTP details of serving user files from the app's own origin: nothing a user uploads may run
 * as script there, so only an allow-list of passive types keeps its type; everything else is
 * served as opaque bytes.
 */

const INLINE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'audio/mp4',
  'audio/aac',
  'audio/flac',
  'application/pdf',
  'text/plain',
]);

const BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.m4a': 'audio/mp4',
  '.flac': 'audio/flac',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

const OCTET = 'application/octet-stream';
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** `text/plain; charset=utf-8` → `text/plain`, or null when it is not a media type. */
function essence(contentType: string): string | null {
  const e = contentType.split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(e) ? e : null;
}

/**
 * The type recorded for an upload: the client's Content-Type when it names something more
 * precise than raw bytes, else a guess from the name's extension, else raw bytes.
 */
export function recordedContentType(header: string | undefined, name: string): string {
  const given = header ? header.trim() : '';
  const e = given && given.length <= 200 ? essence(given) : null;
  if (e && e !== OCTET && !e.startsWith('multipart/')) return given.replace(/[^\x20-\x7e]/g, '');
  return BY_EXTENSION[path.extname(name).toLowerCase()] ?? OCTET;
}

/** The Content-Type a stored file is served with, and whether it may be shown inline. */
export function servedContentType(stored: string): { type: string; inlineOk: boolean } {
  const e = essence(stored);
  if (!e || !INLINE_TYPES.has(e)) return { type: OCTET, inlineOk: false };
  // Only text keeps a parameter (its charset); a stored value never reaches the header raw.
  if (e === 'text/plain') {
    const cs = /;\s*charset="?([A-Za-z0-9_.:-]{1,40})"?/i.exec(stored)?.[1];
    return { type: cs ? `text/plain; charset=${cs.toLowerCase()}` : 'text/plain; charset=utf-8', inlineOk: true };
  }
  return { type: e, inlineOk: true };
}

/** RFC 6266 / 8187: an ASCII fallback and the exact UTF-8 name, safe for any input. */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_').slice(0, 200) || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One `bytes=` range (start-end, start-, -suffix). Several ranges or a header that cannot be
 * parsed are ignored (the whole file is sent), as RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** Whether an If-None-Match header matches the entity tag (weak comparison, as for GET). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
