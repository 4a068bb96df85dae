import { useRef, useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from 'react';
import type { FileInfo } from '../../../../src/shared/api/shapes.js';
import type { AttachmentDrafts } from '../../lib/attachments.js';
import { formatSize } from '../../lib/format.js';
import { loadDraft, saveDraft } from '../../lib/drafts.js';
import { trimBlankLines } from '../../lib/links.js';
import { Icon } from '../Icon.js';

const MAX_BODY = 16 * 1024;

interface Props {
  conversationId: string;
  /** The signed-in user, whose drafts these are. */
  owner: string;
  /** Files picked per chat; they outlive this composer (uploads go on in another chat). */
  attachments: AttachmentDrafts;
  disabled: string | null;
  onSend(body: string, files: FileInfo[]): void;
  onTyping(): void;
}

/** Writing a message: Enter sends, Shift+Enter breaks the line; files upload as soon as picked. */
export function Composer({ conversationId, owner, attachments, disabled, onSend, onTyping }: Props) {
  const [text, setTextNow] = useState(() => loadDraft(owner, conversationId));
  const setText = (value: string) => {
    setTextNow(value);
    saveDraft(owner, conversationId, value);
  };
  const atts = useSyncExternalStore(
    (listener) => attachments.subscribe(conversationId, listener),
    () => attachments.list(conversationId),
  );
  const fileInput = useRef<HTMLInputElement>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  const pick = (files: FileList | null) => {
    if (files) attachments.add(conversationId, Array.from(files));
    if (fileInput.current) fileInput.current.value = '';
  };

  const uploading = atts.some((a) => !a.file && !a.error);
  const hasFiles = atts.some((a) => a.file);
  // What is sent: blank lines around it go, indentation (code, aligned text) stays.
  const body = trimBlankLines(text);
  const tooLong = new TextEncoder().encode(body).length > MAX_BODY;
  const canSend = !disabled && !uploading && !tooLong && (text.trim().length > 0 || hasFiles);

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    onSend(body, attachments.take(conversationId));
    setText('');
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
              <button type="button" className="icon-btn small" onClick={() => attachments.remove(conversationId, a.key)} aria-label={`Remove ${a.name}`}>
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
