import { useCallback, useEffect, useRef, useState } from 'react';
import type { Conversation, FileInfo } from '../../../../src/shared/api/shapes.js';
import { useChats } from '../../chat-context.js';
import { api, client } from '../../lib/client.js';
import { appendPage, canPreviewInline, fileMeta } from '../../lib/files.js';
import { errorText } from '../../lib/reasons.js';
import { fileUrl } from '../../lib/upload.js';
import { useSession } from '../../session.js';
import { ErrorNote } from '../Field.js';
import { Icon } from '../Icon.js';
import { SidePanel } from './SidePanel.js';

const PAGE = 50;

/** The files shared in a chat, newest first, each a download; raster images get a thumbnail. */
export function FilesPanel({ conv, onClose }: { conv: Conversation; onClose: () => void }) {
  const { me } = useSession();
  const { store } = useChats();
  const [files, setFiles] = useState<FileInfo[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const epoch = store.fileEpoch(conv.id);
  const seq = useRef(0);

  // The first page again whenever files may have changed (shared, or their message deleted).
  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const page = await client.call(api.files.listForConversation, { params: { id: conv.id }, query: { limit: PAGE } });
      if (mine !== seq.current) return;
      setFiles(page.items);
      setNext(page.next);
      setError(null);
    } catch (err) {
      if (mine === seq.current) setError(errorText(err));
    }
  }, [conv.id]);

  useEffect(() => {
    void load();
  }, [load, epoch]);

  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await client.call(api.files.listForConversation, { params: { id: conv.id }, query: { cursor: next, limit: PAGE } });
      setFiles((list) => appendPage(list ?? [], page.items));
      setNext(page.next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <SidePanel title="Files" onClose={onClose} testId="files-panel">
      <ErrorNote message={error} />
      {files === null && !error && <p className="muted">Loading…</p>}
      {files?.length === 0 && <p className="muted">No files shared in this chat yet. Attach one with the paper clip below.</p>}
      {files && files.length > 0 && (
        <ul className="file-list" aria-label="Shared files">
          {files.map((f) => (
            <li key={f.id} className="file-row" data-testid="file-row">
              {canPreviewInline(f) ? (
                <img className="file-thumb" src={fileUrl(f.id, true)} alt="" loading="lazy" />
              ) : (
                <span className="file-thumb file-thumb-icon" aria-hidden="true">
                  <Icon name="file" />
                </span>
              )}
              <span className="file-row-main">
                <a href={fileUrl(f.id)} download={f.name} className="file-row-name">
                  {f.name}
                </a>
                <small className="muted">{fileMeta(conv, f, me.user.id)}</small>
              </span>
              <a className="icon-btn small" href={fileUrl(f.id)} download={f.name} aria-label={`Download ${f.name}`} title="Download" tabIndex={-1}>
                <Icon name="download" size={16} />
              </a>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" className="btn small" disabled={loadingMore} onClick={() => void more()}>
          {loadingMore ? 'Loading…' : 'Show older files'}
        </button>
      )}
    </SidePanel>
  );
}
