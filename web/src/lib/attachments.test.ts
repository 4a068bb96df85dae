import { describe, expect, it } from 'vitest';
import type { FileInfo } from '../../../src/shared/api/shapes.js';
import { AttachmentDrafts } from './attachments.js';
import { forgetDrafts, loadDraft, loadUnsent, saveDraft, saveUnsent } from './drafts.js';
import type { Upload } from './upload.js';

/** A Storage in memory, as the tab's sessionStorage would be. */
class MemoryStorage implements Storage {
  private readonly m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  keys() {
    return [...this.m.keys()];
  }
}

/** Uploads that finish, fail or are aborted when the test says. */
function fakeUploads() {
  const started: { conversationId: string; name: string; progress(f: number): void; finish(): void; fail(): void; aborted: boolean }[] = [];
  const upload = (conversationId: string, file: File, onProgress: (f: number) => void): Upload => {
    let resolve!: (f: FileInfo) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<FileInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry = {
      conversationId,
      name: file.name,
      aborted: false,
      progress: onProgress,
      finish: () => resolve({ id: `f-${file.name}`, name: file.name, size: file.size, contentType: 'text/plain' } as FileInfo),
      fail: () => reject(new TypeError('Upload failed: the server could not be reached')),
    };
    started.push(entry);
    return {
      promise,
      abort: () => {
        entry.aborted = true;
        reject(new DOMException('Upload cancelled', 'AbortError'));
      },
    };
  };
  return { started, upload };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const file = (name: string) => new File(['x'.repeat(10)], name, { type: 'text/plain' });

describe('files picked for a chat', () => {
  it('keep uploading while another chat is shown, and are still there (and after a reload) until sent', async () => {
    const storage = new MemoryStorage();
    const { started, upload } = fakeUploads();
    const drafts = new AttachmentDrafts('u1', upload, storage);
    let heard = 0;
    const unsubscribe = drafts.subscribe('c1', () => heard++);
    drafts.add('c1', [file('a.txt'), file('b.txt')]);
    expect(drafts.list('c1').map((a) => [a.name, a.progress])).toEqual([
      ['a.txt', 0],
      ['b.txt', 0],
    ]);
    expect(drafts.list('c2')).toEqual([]);
    expect(heard).toBe(2);
    // The composer of c1 goes away (another chat is shown): nothing is cancelled.
    unsubscribe();
    started[0]!.progress(0.5);
    started[0]!.finish();
    await settle();
    expect(started.some((s) => s.aborted)).toBe(false);
    expect(drafts.list('c1').map((a) => [a.name, a.progress, a.file?.id ?? null])).toEqual([
      ['a.txt', 1, 'f-a.txt'],
      ['b.txt', 0, null],
    ]);
    expect(heard).toBe(2);
    // A new page of the same tab gets back the finished one; the one cut off by the reload is gone.
    const reloaded = new AttachmentDrafts('u1', upload, storage);
    expect(reloaded.list('c1').map((a) => a.file?.id)).toEqual(['f-a.txt']);
    // Someone else signed in on the same tab sees none of it.
    expect(new AttachmentDrafts('u2', upload, storage).list('c1')).toEqual([]);

    started[1]!.finish();
    await settle();
    expect(drafts.take('c1').map((f) => f.id)).toEqual(['f-a.txt', 'f-b.txt']);
    expect(drafts.list('c1')).toEqual([]);
    expect(new AttachmentDrafts('u1', upload, storage).list('c1')).toEqual([]);
  });

  it('keep a failed upload with its reason, cancel one removed, and cancel all that go on when disposed', async () => {
    const storage = new MemoryStorage();
    const { started, upload } = fakeUploads();
    const drafts = new AttachmentDrafts('u1', upload, storage);
    drafts.add('c1', [file('fails.txt'), file('removed.txt')]);
    drafts.add('c2', [file('other.txt')]);
    started[0]!.fail();
    await settle();
    expect(drafts.list('c1')[0]).toMatchObject({ name: 'fails.txt', error: expect.stringMatching(/Cannot reach the server/) });
    drafts.remove('c1', drafts.list('c1')[1]!.key);
    expect(started[1]!.aborted).toBe(true);
    expect(drafts.list('c1').map((a) => a.name)).toEqual(['fails.txt']);
    // A failed upload is nothing to send.
    expect(drafts.take('c1')).toEqual([]);
    drafts.dispose();
    expect(started[2]!.aborted).toBe(true);
    // Nothing can start after that (the user signed out).
    drafts.add('c2', [file('late.txt')]);
    expect(started).toHaveLength(3);
    await settle();
    expect(storage.keys()).toEqual([]);
  });
});

describe('drafts of one person', () => {
  it('are not another person’s on the same tab, and signing out forgets them all', () => {
    const storage = new MemoryStorage();
    saveDraft('u1', 'c1', 'half a thought', storage);
    saveUnsent('u1', 'c1', [{ pending: { clientId: 'k1', body: 'unsent', fileNames: [], createdAt: '2026-01-01T00:00:00Z' }, files: [] }], storage);
    storage.setItem('unrelated', 'kept');
    expect(loadDraft('u1', 'c1', storage)).toBe('half a thought');
    expect(loadDraft('u2', 'c1', storage)).toBe('');
    expect(loadUnsent('u2', 'c1', storage)).toEqual([]);
    expect(loadUnsent('u1', 'c1', storage).map((u) => u.pending.body)).toEqual(['unsent']);
    forgetDrafts(storage);
    expect(storage.keys()).toEqual(['unrelated']);
    expect(loadUnsent('u1', 'c1', storage)).toEqual([]);
  });

  it('ignore kept entries that are not what they should be', () => {
    const storage = new MemoryStorage();
    storage.setItem('parley:unsent:u1:c1', '[null, 3, {"pending": {"clientId": 1}}, {"pending": {"clientId": "k", "body": "ok"}, "files": []}]');
    storage.setItem('parley:files:u1:c1', '{"not": "a list"}');
    expect(loadUnsent('u1', 'c1', storage).map((u) => u.pending.clientId)).toEqual(['k']);
    expect(new AttachmentDrafts('u1', undefined, storage).list('c1')).toEqual([]);
  });
});
