import { describe, expect, it } from 'vitest';
import type { Conversation, FileInfo } from '../../../src/shared/api/shapes.js';
import { appendPage, canPreviewInline, fileMeta, uploaderName } from './files.js';

const ME = 'me';

function file(over: Partial<FileInfo> = {}): FileInfo {
  return { id: 'f1', name: 'a.png', size: 2048, contentType: 'image/png', sha256: '', conversationId: 'c', uploaderId: 'u1', createdAt: '2024-03-03T10:00:00.000Z', ...over };
}

const conv: Conversation = {
  id: 'c',
  kind: 'group',
  title: 'T',
  state: 'live',
  participants: [{ userId: 'u1', email: 'una@a.example', displayName: 'Una Umber', orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' }],
  unreadCount: 0,
  lastSeq: 0,
  lastChangeSeq: 0,
  lastReadSeq: 0,
  lastActivityAt: '',
  createdAt: '',
  createdBy: ME,
};

describe('files panel', () => {
  it('previews raster images only, never SVG however it is named or typed', () => {
    expect(canPreviewInline(file())).toBe(true);
    expect(canPreviewInline(file({ contentType: 'image/jpeg', name: 'p.jpg' }))).toBe(true);
    expect(canPreviewInline(file({ contentType: 'image/svg+xml', name: 'x.svg' }))).toBe(false);
    expect(canPreviewInline(file({ contentType: 'image/png', name: 'sneaky.svg' }))).toBe(false);
    expect(canPreviewInline(file({ contentType: 'text/html', name: 'page.png' }))).toBe(false);
    expect(canPreviewInline(file({ contentType: 'application/pdf', name: 'doc.pdf' }))).toBe(false);
  });

  it('names the uploader: me, a member, or a former member', () => {
    expect(uploaderName(conv, ME, ME)).toBe('You');
    expect(uploaderName(conv, 'u1', ME)).toBe('Una Umber');
    expect(uploaderName(conv, 'left', ME)).toBe('Former member');
    expect(fileMeta(conv, file(), ME, new Date('2024-03-03T12:00:00.000Z'))).toMatch(/^2 KB · Una Umber · \S/);
  });

  it('appends further pages without listing a file twice', () => {
    const a = file({ id: 'a' });
    const b = file({ id: 'b' });
    const c = file({ id: 'c' });
    expect(appendPage([a, b], [b, c]).map((f) => f.id)).toEqual(['a', 'b', 'c']);
  });
});
