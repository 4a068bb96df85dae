import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Message } from '../../../src/shared/api/shapes.js';
import { RealtimeClient, SocketSendError, type RealtimeStatus, type WebSocketConstructor } from '../../../src/shared/realtime-client.js';
import { ChatsContext, type Chats } from '../chat-context.js';
import { chatApi, startDirect } from '../lib/chat-api.js';
import { api, client } from '../lib/client.js';
import { AttachmentDrafts } from '../lib/attachments.js';
import { ChatStore } from '../lib/chat-store.js';
import { totalUnread } from '../lib/conversations.js';
import { chatIdOf, chatPath, navigate, onLinkClick, type Loc } from '../lib/router.js';
import { useSession } from '../session.js';
import { AdminPage } from './admin/AdminPage.js';
import { Avatar } from './Avatar.js';
import { ChatList } from './chat/ChatList.js';
import { ChatView } from './chat/ChatView.js';
import { NewGroupDialog } from './groups/GroupDialogs.js';
import { NewChatDialog } from './NewChatDialog.js';
import { SearchBar } from './SearchBar.js';
import { Today } from './Today.js';
import { Icon, type IconName } from './Icon.js';

function NavLink({ to, label, icon, active, badge }: { to: string; label: string; icon: IconName; active: boolean; badge?: number }) {
  return (
    <a href={to} className={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} onClick={(e) => onLinkClick(e, to)}>
      <span className="nav-icon">
        <Icon name={icon} size={22} />
      </span>
      <span className="nav-label">{label}</span>
      {badge ? (
        <span className="count" aria-label={`${badge} unread`}>
          {badge > 99 ? '99+' : badge}
        </span>
      ) : null}
    </a>
  );
}

export function Shell({ loc }: { loc: Loc }) {
  const { me, signOut, refresh } = useSession();
  const [status, setStatus] = useState<RealtimeStatus>('connecting');
  const [newChat, setNewChat] = useState<{ open: boolean; prefill: string }>({ open: false, prefill: '' });
  const [newGroup, setNewGroup] = useState(false);
  const store = useMemo(() => new ChatStore(me.user.id, chatApi), [me.user.id]);
  const attachments = useMemo(() => new AttachmentDrafts(me.user.id), [me.user.id]);
  useEffect(() => () => attachments.dispose(), [attachments]);
  const rt = useMemo(() => {
    let opened = false;
    // The shared realtime client (cookie-authenticated here) delivers messages in seq order and
    // fills gaps after a reconnect; the chat list is reloaded then for states that changed.
    return new RealtimeClient({
      api: client,
      WebSocket: window.WebSocket as unknown as WebSocketConstructor,
      syncConversations: true,
      onEvent: (ev) => store.applyEvent(ev),
      onStatus: (s) => {
        setStatus(s);
        if (s === 'open') {
          if (opened) void store.loadConversations().catch(() => undefined);
          opened = true;
        }
        // Signed out elsewhere (logout, deactivation): back to the sign-in page.
        if (s === 'ended') void refresh();
      },
    });
  }, [store, refresh]);
  const sendTyping = useCallback((conversationId: string) => void rt.typing(conversationId), [rt]);
  const sendMessage = useCallback(
    async (conversationId: string, input: { clientId: string; body: string; fileIds?: string[] }): Promise<Message> => {
      const onSocket = rt.sendMessage(conversationId, input);
      if (onSocket) {
        try {
          return (await onSocket).message;
        } catch (err) {
          if (!(err instanceof SocketSendError)) throw err;
        }
      }
      return client.call(api.messages.send, { params: { id: conversationId }, body: input });
    },
    [rt],
  );

  useEffect(() => {
    rt.connect();
    void store.loadConversations().catch(() => undefined);
    return () => {
      rt.close();
      store.dispose();
    };
  }, [rt, store]);

  const openByEmail = useCallback(
    async (email: string, invite = false) => {
      const conv = await startDirect(email, invite);
      store.upsertConversation(conv);
      navigate(chatPath(conv.id));
    },
    [store],
  );
  const openNewChat = useCallback((prefill = '') => setNewChat({ open: true, prefill }), []);
  const openNewGroup = useCallback(() => setNewGroup(true), []);
  const chats = useMemo<Chats>(
    () => ({ store, attachments, sendTyping, sendMessage, status, openByEmail, openNewChat, openNewGroup }),
    [store, attachments, sendTyping, sendMessage, status, openByEmail, openNewChat, openNewGroup],
  );

  const [unread, setUnread] = useState(0);
  useEffect(() => store.subscribe(() => setUnread(totalUnread(store.conversations.values()))), [store]);
  useEffect(() => {
    document.title = unread ? `(${unread}) Parley` : 'Parley';
  }, [unread]);

  const chatId = chatIdOf(loc.path);
  const section = loc.path.startsWith('/admin') ? 'admin' : loc.path.startsWith('/chat') ? 'chat' : 'today';
  const isAdmin = me.user.role === 'admin';

  return (
    <ChatsContext.Provider value={chats}>
      <div className={`app section-${section}${chatId ? ' has-chat' : ''}`}>
        <nav className="rail" aria-label="Main">
          <div className="brand-mark rail-brand" aria-hidden="true">
            P
          </div>
          <NavLink to="/today" label="Today" icon="today" active={section === 'today'} />
          <NavLink to="/chat" label="Chat" icon="chat" active={section === 'chat'} badge={unread} />
          {isAdmin && <NavLink to="/admin" label="Admin" icon="admin" active={section === 'admin'} />}
          <div className="rail-spacer" />
          <button className="rail-me" title={`${me.user.displayName} · ${me.user.email} — sign out`} onClick={() => void signOut()} aria-label="Sign out">
            <Avatar id={me.user.id} name={me.user.displayName} />
            <span className="nav-label">Sign out</span>
          </button>
        </nav>
        <div className="main">
          <header className="topbar">
            <SearchBar />
            <button className="btn primary new-chat-btn" onClick={() => openNewChat()}>
              <Icon name="plus" size={18} /> <span className="btn-text">New chat</span>
            </button>
            {status !== 'open' && status !== 'closed' && (
              <span className={`conn conn-${status}`} role="status">
                {status === 'connecting' ? 'Connecting…' : status === 'ended' ? 'Signed out' : 'Offline — reconnecting'}
              </span>
            )}
          </header>
          <div className="content">
            {section === 'today' && <Today />}
            {section === 'chat' && (
              <div className="split">
                <ChatList activeId={chatId} />
                {chatId ? (
                  <ChatView key={chatId} id={chatId} />
                ) : (
                  <section className="chat-empty" aria-label="No chat selected">
                    <p>Pick a chat, or start one with anyone by their email.</p>
                    <div className="row">
                      <button className="btn primary" onClick={() => openNewChat()}>
                        New chat
                      </button>
                      <button className="btn" onClick={() => openNewGroup()}>
                        New group
                      </button>
                    </div>
                  </section>
                )}
              </div>
            )}
            {section === 'admin' && (isAdmin ? <AdminPage loc={loc} /> : <p className="page-pad">Only administrators of your organization can open this page.</p>)}
          </div>
        </div>
        {newGroup && <NewGroupDialog onClose={() => setNewGroup(false)} />}
        {newChat.open && <NewChatDialog initial={newChat.prefill} onClose={() => setNewChat({ open: false, prefill: '' })} />}
      </div>
    </ChatsContext.Provider>
  );
}
