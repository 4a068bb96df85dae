import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Conversation, Message } from '../../../../src/shared/api/shapes.js';
import { useChats } from '../../chat-context.js';
import { participantName } from '../../lib/conversations.js';
import { formatTime } from '../../lib/format.js';
import { sameGroup } from '../../lib/messages.js';
import { errorText } from '../../lib/reasons.js';
import { useSession } from '../../session.js';
import { ConfirmDialog } from '../Modal.js';
import { MessageItem } from './MessageItem.js';

interface Props {
  conv: Conversation;
  onEdit(m: Message, body: string): Promise<void>;
  onDelete(m: Message): Promise<void>;
  onRetry(clientId: string): void;
  onVisibleSeq(seq: number): void;
}

/**
 * The history of one chat: scrolling to the top loads older pages (keeping the view still),
 * new messages keep it pinned to the bottom when it was there, and the newest message in view
 * moves the read marker.
 */
export function MessageList({ conv, onEdit, onDelete, onRetry, onVisibleSeq }: Props) {
  const { me } = useSession();
  const { store } = useChats();
  const t = store.thread(conv.id);
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const [toDelete, setToDelete] = useState<Message | null>(null);
  const [error, setError] = useState<string | null>(null);
  // People who left a group keep their name on what they wrote.
  const names = new Map([...(conv.formerParticipants ?? []), ...conv.participants].filter((p) => p.userId).map((p) => [p.userId!, participantName(p)]));
  const seenSeq = store.seenByOthers(conv.id);
  const myLast = [...t.messages].reverse().find((m) => m.senderId === me.user.id && !m.deletedAt);

  const loadOlder = () => {
    const el = scroller.current;
    if (!el || !t.hasOlder || t.loadingOlder) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    store.loadOlder(conv.id).catch((err: unknown) => setError(errorText(err)));
  };

  const reportVisible = () => {
    const el = scroller.current;
    if (!el || document.visibilityState !== 'visible') return;
    const bottom = el.getBoundingClientRect().bottom;
    let best = 0;
    for (const li of el.querySelectorAll<HTMLElement>('li[data-seq]')) {
      const r = li.getBoundingClientRect();
      if (r.top < bottom - 4) best = Math.max(best, Number(li.dataset.seq));
    }
    if (best) onVisibleSeq(best);
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < 120) loadOlder();
    reportVisible();
  };

  // Older pages: keep the message under the reader's eyes where it was.
  // New messages: stay at the bottom if the reader was there.
  const pendingCount = useRef(t.pending.length);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Sending takes the reader to the bottom, where their message is, wherever they had scrolled.
    if (t.pending.length > pendingCount.current) pinned.current = true;
    pendingCount.current = t.pending.length;
    if (anchor.current && !t.loadingOlder) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  useEffect(() => {
    reportVisible();
    const onVis = () => reportVisible();
    document.addEventListener('visibilitychange', onVis);
    window.addEventListener('focus', onVis);
    return () => {
      document.removeEventListener('visibilitychange', onVis);
      window.removeEventListener('focus', onVis);
    };
  });

  // A short first page may not fill the pane, so no scroll event would ever ask for more.
  useEffect(() => {
    const el = scroller.current;
    if (el && t.loaded && t.hasOlder && !t.loadingOlder && el.scrollHeight <= el.clientHeight + 10) loadOlder();
  });

  const typingNames = store.typingUsers(conv.id).map((id) => names.get(id) ?? 'Someone');

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Messages" role="region">
      <ol className="msg-list" aria-live="polite" aria-relevant="additions">
        {t.loaded && !t.hasOlder && <li className="history-start muted">This is the beginning of the chat.</li>}
        {t.loadingOlder && <li className="history-start muted">Loading older messages…</li>}
        {!t.loaded && <li className="history-start muted">Loading…</li>}
        {t.messages.map((m, i) => (
          <MessageItem
            key={m.seq}
            message={m}
            mine={m.senderId === me.user.id}
            senderName={names.get(m.senderId) ?? 'Former member'}
            showSender={m.senderId !== me.user.id && !sameGroup(t.messages[i - 1], m)}
            seen={!!myLast && myLast.seq === m.seq && seenSeq >= m.seq}
            onEdit={(body) => onEdit(m, body)}
            onDelete={() => setToDelete(m)}
          />
        ))}
        {t.pending.map((p) => (
          <li key={p.clientId} className={`msg mine pending${p.failed ? ' failed' : ''}`} data-testid="pending-message">
            <div className="msg-bubble">
              {p.body && <div className="msg-body">{p.body}</div>}
              {p.fileNames.length > 0 && <div className="muted small">📎 {p.fileNames.join(', ')}</div>}
              <div className="msg-meta">
                {p.failed ? (
                  <>
                    <span className="error-text">{p.failed}</span>{' '}
                    <button className="link-btn" onClick={() => onRetry(p.clientId)}>
                      Retry
                    </button>
                  </>
                ) : (
                  <span>Sending… {formatTime(p.createdAt)}</span>
                )}
              </div>
            </div>
          </li>
        ))}
      </ol>
      {error && (
        <p className="error-note" role="alert">
          {error}
        </p>
      )}
      <div className="typing" aria-live="polite">
        {typingNames.length > 0 && `${typingNames.join(', ')} ${typingNames.length > 1 ? 'are' : 'is'} typing…`}
      </div>
      {toDelete && (
        <ConfirmDialog
          title="Delete message?"
          confirmLabel="Delete"
          danger
          onClose={() => setToDelete(null)}
          onConfirm={() => {
            const m = toDelete;
            setToDelete(null);
            onDelete(m).catch((err: unknown) => setError(errorText(err)));
          }}
        >
          <p>The message and its files are removed for everyone in this chat.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
