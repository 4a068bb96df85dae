import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { FileInfo } from '../../../../src/shared/api/shapes.js';
import { formatSize } from '../../lib/format.js';
import { errorText } from '../../lib/reasons.js';
import { uploadFile, type Upload } from '../../lib/upload.js';
import { loadDraft, saveDraft } from '../../lib/drafts.js';
import { trimBlankLines } from '../../lib/links.js';
import { Icon } from '../Icon.js';

interface Attachment {
  key: string;
  name: string;
  size: number;
  progress: number;
  file?: FileInfo;
  error?: string;
  upload?: Upload;
}

const MAX_BODY = 16 * 1024;

interface Props {
  conversationId: string;
  disabled: string | null;
  onSend(body: string, files: FileInfo[]): void;
  onTyping(): void;
}

/** Writing a message: Enter sends, Shift+Enter breaks the line; files upload as soon as picked. */
export function Composer({ conversationId, disabled, onSend, onTyping }: Props) {
  const [text, setTextNow] = useState(() => loadDraft(conversationId));
  const setText = (value: string) => {
    setTextNow(value);
    saveDraft(conversationId, value);
  };
  const [atts, setAtts] = useState<Attachment[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const uploads = useRef(new Set<Upload>());

  useEffect(() => {
    const set = uploads.current;
    return () => {
      for (const u of set) u.abort();
    };
  }, []);

  const patch = (key: string, p: Partial<Attachment>) => setAtts((list) => list.map((a) => (a.key === key ? { ...a, ...p } : a)));

  const pick = (files: FileList | null) => {
    if (!files) return;
    for (const f of Array.from(files)) {
      const key = `${Date.now()}-${Math.random()}`;
      const upload = uploadFile(conversationId, f, (progress) => patch(key, { progress }));
      uploads.current.add(upload);
      setAtts((list) => [...list, { key, name: f.name, size: f.size, progress: 0, upload }]);
      upload.promise.then(
        (file) => patch(key, { file, progress: 1 }),
        (err: unknown) => {
          if (err instanceof DOMException && err.name === 'AbortError') return;
          patch(key, { error: errorText(err) });
        },
      ).finally(() => uploads.current.delete(upload));
    }
    if (fileInput.current) fileInput.current.value = '';
  };

  const remove = (a: Attachment) => {
    a.upload?.abort();
    setAtts((list) => list.filter((x) => x.key !== a.key));
  };

  const uploading = atts.some((a) => !a.file && !a.error);
  const ready = atts.filter((a) => a.file).map((a) => a.file!);
  // What is sent: blank lines around it go, indentation (code, aligned text) stays.
  const body = trimBlankLines(text);
  const tooLong = new TextEncoder().encode(body).length > MAX_BODY;
  const canSend = !disabled && !uploading && !tooLong && (text.trim().length > 0 || ready.length > 0);

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    onSend(body, ready);
    setText('');
    setAtts((list) => list.filter((a) => !a.file));
    area.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  if (disabled !== null) {
    return (
      <div className="composer composer-disabled" aria-disabled="true">
        <textarea aria-label="Message" disabled placeholder={disabled || 'You cannot write in this chat.'} rows={1} />
      </div>
    );
  }

  return (
    <form className="composer" onSubmit={send}>
      {atts.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {atts.map((a) => (
            <li key={a.key} className={a.error ? 'failed' : a.file ? 'done' : ''}>
              <span className="att-name">{a.name}</span>
              <span className="muted small">{formatSize(a.size)}</span>
              {a.error ? (
                <span className="error-text small">{a.error}</span>
              ) : (
                <progress max={1} value={a.progress} aria-label={`Uploading ${a.name}`}>
                  {Math.round(a.progress * 100)}%
                </progress>
              )}
              <button type="button" className="icon-btn small" onClick={() => remove(a)} aria-label={`Remove ${a.name}`}>
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        <button type="button" className="icon-btn" onClick={() => fileInput.current?.click()} aria-label="Attach files" title="Attach files">
          <Icon name="clip" />
        </button>
        <input ref={fileInput} type="file" multiple hidden onChange={(e) => pick(e.target.files)} data-testid="file-input" />
        <label htmlFor={`composer-${conversationId}`} className="sr-only">
          Message
        </label>
        <textarea
          id={`composer-${conversationId}`}
          ref={area}
          value={text}
          placeholder="Write a message"
          rows={Math.min(6, Math.max(1, text.split('\n').length))}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value) onTyping();
          }}
          onKeyDown={onKeyDown}
          autoFocus
        />
        <button type="submit" className="btn primary send" disabled={!canSend}>
          Send
        </button>
      </div>
      {tooLong && <small className="error-note">This message is longer than 16 KB. Shorten it or send it as a file.</small>}
    </form>
  );
}
