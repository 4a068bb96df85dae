import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../../../src/shared/client.js';
import type { FileInfo, Message } from '../../../../src/shared/api/shapes.js';
import { useChats } from '../../chat-context.js';
import { api, client } from '../../lib/client.js';
import { conversationBadges, conversationTitle, memberCountText, otherParticipant, writeBlock } from '../../lib/conversations.js';
import { loadUnsent, saveUnsent } from '../../lib/drafts.js';
import { newClientId, type PendingMessage } from '../../lib/messages.js';
import { errorText, reasonText } from '../../lib/reasons.js';
import { navigate, onLinkClick } from '../../lib/router.js';
import { useSession } from '../../session.js';
import { Avatar } from '../Avatar.js';
import { ErrorNote } from '../Field.js';
import { MembersPanel } from '../groups/MembersPanel.js';
import { Badges } from './Badges.js';
import { ChatBanners, type Answer } from './Banners.js';
import { FilesPanel } from './FilesPanel.js';
import { Composer } from './Composer.js';
import { MessageList } from './MessageList.js';
import { Icon } from '../Icon.js';

export function ChatView({ id }: { id: string }) {
  const { me } = useSession();
  const { store, sendTyping, sendMessage, status, attachments } = useChats();
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<'members' | 'files' | null>(null);
  const [missing, setMissing] = useState(false);
  const conv = store.conversations.get(id);
  const gone = store.gone.get(id);
  const meId = me.user.id;
  // Files by clientId, so a failed send can be retried with the same attachments.
  const sentFiles = useRef(new Map<string, FileInfo[]>());
  const readTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const wantRead = useRef(0);

  useEffect(() => {
    if (store.gone.has(id)) return;
    // A chat I was just removed from answers 404: the view says so instead of an error.
    store.openThread(id).catch((err: unknown) => {
      if (store.gone.has(id)) return;
      // Not there, or not mine (any more): the server answers both alike, and so does the view.
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setError(errorText(err));
    });
  }, [id, store]);

  useEffect(
    () => () => {
      if (readTimer.current) clearTimeout(readTimer.current);
    },
    [],
  );

  // Messages left unsent by an earlier page of this tab come back, to be sent again.
  useEffect(() => {
    const shown = new Set(store.thread(id).pending.map((p) => p.clientId));
    for (const { pending, files } of loadUnsent(meId, id)) {
      if (shown.has(pending.clientId)) continue;
      sentFiles.current.set(pending.clientId, files);
      store.addPending(id, { ...pending, failed: pending.failed ?? 'Not sent yet', retryable: pending.retryable ?? true });
    }
  }, [id, store]);

  // Messages that failed for want of a connection go again once it is back (same clientId, so
  // one that did reach the server is not stored twice); refused ones wait for the user.
  const retryRef = useRef<(clientId: string) => void>(() => undefined);
  useEffect(() => {
    if (status !== 'open') return;
    for (const p of store.thread(id).pending) if (p.failed && p.retryable) retryRef.current(p.clientId);
  }, [status, id, store]);

  // Messages not acknowledged yet are kept in the tab (a reload does not lose them) and, once
  // restored, sent again with their clientId: one that did reach the server is not stored twice.
  const keepUnsent = () => saveUnsent(meId, id, store.thread(id).pending.map((p) => ({ pending: p, files: sentFiles.current.get(p.clientId) ?? [] })));

  const deliver = (p: PendingMessage, files: FileInfo[]) => {
    sendMessage(id, { clientId: p.clientId, body: p.body, ...(files.length ? { fileIds: files.map((f) => f.id) } : {}) })
      .then(
        (res) => {
          sentFiles.current.delete(p.clientId);
          store.applyMessage(res, true);
          keepUnsent();
        },
        // No answer at all, or a server that could not take it now: worth sending again.
        (err: unknown) => {
          store.failPending(id, p.clientId, errorText(err), !(err instanceof ApiError) || err.status === 503);
          keepUnsent();
        },
      );
  };

  const send = (body: string, files: FileInfo[]) => {
    const p: PendingMessage = { clientId: newClientId(), body, fileNames: files.map((f) => f.name), createdAt: new Date().toISOString() };
    sentFiles.current.set(p.clientId, files);
    store.addPending(id, p);
    keepUnsent();
    deliver(p, files);
  };

  const retry = (clientId: string) => {
    const p = store.thread(id).pending.find((x) => x.clientId === clientId);
    if (!p) return;
    store.removePending(id, clientId);
    const again = { ...p, failed: undefined };
    store.addPending(id, again);
    deliver(again, sentFiles.current.get(clientId) ?? []);
  };
  retryRef.current = retry;

  if (!conv && (gone || missing)) {
    return (
      <section className="chat-pane" aria-label="Chat closed">
        <div className="chat-empty gone" data-testid="gone-chat">
          <Icon name="leave" size={28} />
          {gone ? (
            <p>
              {gone.why === 'left' ? 'You left ' : 'You were removed from '}
              <strong>{gone.title}</strong>. Its messages are no longer available to you.
            </p>
          ) : (
            <p>This chat does not exist, or you are no longer one of its members.</p>
          )}
          <a href="/chat" className="btn" onClick={(e) => onLinkClick(e, '/chat')}>
            Back to chats
          </a>
        </div>
      </section>
    );
  }

  if (!conv) {
    return <section className="chat-pane">{error ? <ErrorNote message={error} /> : <p className="muted page-pad">Loading…</p>}</section>;
  }

  const title = conversationTitle(conv, meId);
  const other = conv.kind === 'direct' ? otherParticipant(conv, meId) : undefined;
  const block = writeBlock(conv, meId);
  const composerBlock = block ? block.message || reasonText(block.reason, null) : null;


  const edit = async (m: Message, body: string) => {
    store.applyMessage(await client.call(api.messages.edit, { params: { id, messageId: m.id }, body: { body } }), false);
  };

  const remove = async (m: Message) => {
    store.applyMessage(await client.call(api.messages.remove, { params: { id, messageId: m.id } }), false);
  };

  // Read markers move at most a few times a second, and never for a request not yet accepted.
  const onVisibleSeq = (seq: number) => {
    const c = store.conversations.get(id);
    if (!c || seq <= c.lastReadSeq || seq <= wantRead.current || c.state === 'request') return;
    wantRead.current = seq;
    if (readTimer.current) return;
    readTimer.current = setTimeout(() => {
      readTimer.current = null;
      const s = wantRead.current;
      store.markReadLocal(id, s);
      client.call(api.messages.read, { params: { id }, body: { seq: s } }).catch(() => undefined);
    }, 300);
  };

  const answer = async (a: Answer) => {
    setError(null);
    try {
      const route = { accept: api.external.accept, decline: api.external.decline, block: api.external.block, unblock: api.external.unblock }[a];
      const res = await client.call(route, { params: { id } });
      store.upsertConversation(res);
      if (a === 'decline' || a === 'block') navigate('/chat');
    } catch (err) {
      setError(errorText(err));
    }
  };

  const isGroup = conv.kind === 'group';
  const toggle = (p: 'members' | 'files') => setPanel((cur) => (cur === p ? null : p));
  return (
    <div className={`chat-area${panel ? ' with-panel' : ''}`}>
      <section className="chat-pane" aria-label={isGroup ? `Group chat ${title}` : `Chat with ${title}`}>
        <header className="chat-head">
          <a href="/chat" className="icon-btn back" aria-label="Back to chats" onClick={(e) => onLinkClick(e, '/chat')}>
            <Icon name="back" />
          </a>
          <Avatar id={other?.userId ?? other?.email ?? conv.id} name={title} size={38} />
          <div className="chat-head-main">
            <h2>{title}</h2>
            <div className="chat-head-sub">
              {isGroup && (
                <button type="button" className="link-btn muted small" onClick={() => toggle('members')} data-testid="member-count">
                  {memberCountText(conv)}
                </button>
              )}
              {other && !isGroup && other.email !== title && <span className="muted small">{other.email}</span>}
              <Badges badges={conversationBadges(conv, meId)} />
            </div>
          </div>
          <div className="chat-head-actions">
            {isGroup && (
              <button type="button" className={`icon-btn${panel === 'members' ? ' on' : ''}`} aria-label="Members" aria-pressed={panel === 'members'} title="Members" onClick={() => toggle('members')}>
                <Icon name="users" />
              </button>
            )}
            <button type="button" className={`icon-btn${panel === 'files' ? ' on' : ''}`} aria-label="Files" aria-pressed={panel === 'files'} title="Files" onClick={() => toggle('files')}>
              <Icon name="folder" />
            </button>
          </div>
        </header>
        <ChatBanners conv={conv} meId={meId} onAnswer={answer} />
        <ErrorNote message={error} />
        <MessageList conv={conv} onEdit={edit} onDelete={remove} onRetry={retry} onVisibleSeq={onVisibleSeq} />
        <Composer conversationId={id} owner={meId} attachments={attachments} disabled={composerBlock} onSend={send} onTyping={() => sendTyping(id)} />
      </section>
      {panel === 'members' && isGroup && <MembersPanel conv={conv} onClose={() => setPanel(null)} />}
      {panel === 'files' && <FilesPanel conv={conv} onClose={() => setPanel(null)} />}
    </div>
  );
}
