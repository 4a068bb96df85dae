import type { FileInfo } from '../../../src/shared/api/shapes.js';
import { loadDraftFiles, saveDraftFiles } from './drafts.js';
import { errorText } from './reasons.js';
import { uploadFile, type Upload } from './upload.js';

export interface Attachment {
  key: string;
  name: string;
  size: number;
  /** 0…1 while uploading. */
  progress: number;
  /** Set once the server has the file. */
  file?: FileInfo;
  error?: string;
}

type Uploader = (conversationId: string, file: File, onProgress: (fraction: number) => void) => Upload;
type Listener = () => void;

const NONE: readonly Attachment[] = [];

/**
 * The files picked for each chat's next message, like its draft: an upload goes on while the
 * user looks at another chat, and files already uploaded are still there when they come back
 * (or reload the tab). One instance per signed-in user; `dispose` cancels what is still going.
 */
export class AttachmentDrafts {
  private readonly lists = new Map<string, readonly Attachment[]>();
  private readonly uploads = new Map<string, Upload>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private nextKey = 0;
  private disposed = false;

  constructor(
    private readonly owner: string,
    private readonly upload: Uploader = uploadFile,
    /** Where finished uploads are kept; the tab's sessionStorage when not given. */
    private readonly storage?: Storage,
  ) {}

  /** The chat's attachments; the same array until they change (for useSyncExternalStore). */
  list(conversationId: string): readonly Attachment[] {
    let list = this.lists.get(conversationId);
    if (!list) {
      const kept = loadDraftFiles(this.owner, conversationId, this.storage);
      list = kept.length ? kept.map((file) => ({ key: `kept-${file.id}`, name: file.name, size: file.size, progress: 1, file })) : NONE;
      this.lists.set(conversationId, list);
    }
    return list;
  }

  subscribe(conversationId: string, listener: Listener): () => void {
    let set = this.listeners.get(conversationId);
    if (!set) this.listeners.set(conversationId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Starts uploading each file into the chat. */
  add(conversationId: string, files: readonly File[]): void {
    if (this.disposed) return;
    for (const f of files) {
      const key = `a${++this.nextKey}`;
      const upload = this.upload(conversationId, f, (progress) => this.patch(conversationId, key, { progress }));
      this.uploads.set(key, upload);
      this.set(conversationId, [...this.list(conversationId), { key, name: f.name, size: f.size, progress: 0 }]);
      upload.promise.then(
        (file) => this.patch(conversationId, key, { file, progress: 1 }),
        (err: unknown) => {
          if (err instanceof DOMException && err.name === 'AbortError') return;
          this.patch(conversationId, key, { error: errorText(err) });
        },
      ).finally(() => this.uploads.delete(key));
    }
  }

  /** Takes one attachment away, cancelling its upload if it is still going. */
  remove(conversationId: string, key: string): void {
    this.uploads.get(key)?.abort();
    this.set(conversationId, this.list(conversationId).filter((a) => a.key !== key));
  }

  /** The uploaded files, handed over to a message being sent: they leave the chat's draft. */
  take(conversationId: string): FileInfo[] {
    const list = this.list(conversationId);
    const ready = list.flatMap((a) => (a.file ? [a.file] : []));
    if (ready.length) this.set(conversationId, list.filter((a) => !a.file));
    return ready;
  }

  /** Signing out or leaving the app: uploads still going are cancelled. */
  dispose(): void {
    this.disposed = true;
    for (const u of this.uploads.values()) u.abort();
    this.uploads.clear();
  }

  private patch(conversationId: string, key: string, p: Partial<Attachment>): void {
    const list = this.list(conversationId);
    if (!list.some((a) => a.key === key)) return;
    this.set(conversationId, list.map((a) => (a.key === key ? { ...a, ...p } : a)));
  }

  private set(conversationId: string, list: readonly Attachment[]): void {
    const before = this.lists.get(conversationId) ?? NONE;
    this.lists.set(conversationId, list.length ? list : NONE);
    // Only finished uploads are worth keeping across a reload: one cut off by it is gone.
    const kept = (l: readonly Attachment[]) => l.flatMap((a) => (a.file ? [a.file.id] : [])).join();
    if (kept(before) !== kept(list)) saveDraftFiles(this.owner, conversationId, list.flatMap((a) => (a.file ? [a.file] : [])), this.storage);
    for (const l of this.listeners.get(conversationId) ?? []) l();
  }
}
