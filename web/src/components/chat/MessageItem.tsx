import { useState, type FormEvent } from 'react';
import type { FileInfo, Message } from '../../../../src/shared/api/shapes.js';
import { formatSize, formatTime, isImage } from '../../lib/format.js';
import { splitLinks } from '../../lib/links.js';
import { fileUrl } from '../../lib/upload.js';
import { Icon } from '../Icon.js';

/** Message text with http(s) links made clickable; everything else stays text. */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {splitLinks(text).map((p, i) =>
        p.kind === 'link' ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer">
            {p.text}
          </a>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  );
}

/** A file in a message: images shown, other files (and images the browser cannot show) as a download. */
export function FileView({ file }: { file: FileInfo }) {
  // The type is what the uploader declared: bytes that are no image fall back to the download.
  const [broken, setBroken] = useState(false);
  if (isImage(file.contentType) && !broken) {
    return (
      <a className="file-image" href={fileUrl(file.id, true)} target="_blank" rel="noopener noreferrer" title={`${file.name} (${formatSize(file.size)})`}>
        <img src={fileUrl(file.id, true)} alt={file.name} loading="lazy" onError={() => setBroken(true)} />
      </a>
    );
  }
  return (
    <a className="file-chip" href={fileUrl(file.id)} download={file.name}>
      <span className="file-icon">
        <Icon name="file" />
      </span>
      <span className="file-name">{file.name}</span>
      <span className="file-size">{formatSize(file.size)}</span>
    </a>
  );
}

interface Props {
  message: Message;
  mine: boolean;
  senderName: string | null;
  showSender: boolean;
  seen: boolean;
  onEdit(body: string): Promise<void>;
  onDelete(): void;
}

/** A note the server wrote about a change to the group: a quiet line, no bubble, no actions. */
function SystemNoteItem({ message: m }: { message: Message }) {
  return (
    <li className="msg system" data-seq={m.seq} data-testid="system-note">
      <span className="system-text">{m.body}</span>
      <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
    </li>
  );
}

export function MessageItem({ message: m, mine, senderName, showSender, seen, onEdit, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
  const [error, setError] = useState<string | null>(null);
  const deleted = !!m.deletedAt;

  if (m.system) return <SystemNoteItem message={m} />;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft.trim() || draft === m.body) {
      setEditing(false);
      return;
    }
    try {
      await onEdit(draft);
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not save');
    }
  };

  return (
    <li className={`msg${mine ? ' mine' : ''}${deleted ? ' deleted' : ''}`} data-seq={m.seq} data-testid="message">
      {showSender && senderName && <div className="msg-sender">{senderName}</div>}
      <div className="msg-bubble">
        {deleted ? (
          <em className="muted">Message deleted</em>
        ) : editing ? (
          <form onSubmit={(e) => void save(e)} className="msg-edit">
            <label className="sr-only" htmlFor={`edit-${m.id}`}>
              Edit message
            </label>
            <textarea
              id={`edit-${m.id}`}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              autoFocus
              rows={Math.min(6, draft.split('\n').length + 1)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') setEditing(false);
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  void save(e);
                }
              }}
            />
            {error && <small className="error-note">{error}</small>}
            <div className="row">
              <button type="button" className="btn small" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button type="submit" className="btn small primary">
                Save
              </button>
            </div>
          </form>
        ) : (
          <>
            {m.body && (
              <div className="msg-body">
                <RichText text={m.body} />
              </div>
            )}
            {m.files.length > 0 && (
              <div className="msg-files">
                {m.files.map((f) => (
                  <FileView key={f.id} file={f} />
                ))}
              </div>
            )}
          </>
        )}
        <div className="msg-meta">
          <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
          {m.editedAt && !deleted && <span> · edited</span>}
          {mine && seen && <span className="seen"> · Seen</span>}
        </div>
      </div>
      {mine && !deleted && !editing && (
        <div className="msg-actions">
          {m.body && (
            <button
              className="icon-btn small"
              onClick={() => {
                setDraft(m.body);
                setEditing(true);
              }}
              aria-label="Edit message"
              title="Edit"
            >
              <Icon name="edit" size={15} />
            </button>
          )}
          <button className="icon-btn small" onClick={onDelete} aria-label="Delete message" title="Delete">
            <Icon name="trash" size={15} />
          </button>
        </div>
      )}
    </li>
  );
}
