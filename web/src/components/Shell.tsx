import { useCallback, useEffect, useMemo, useState } from 'react';
import { ChatsContext, type Chats } from '../chat-context.js';
import { chatApi, startDirect } from '../lib/chat-api.js';
import { ChatStore } from '../lib/chat-store.js';
import { totalUnread } from '../lib/conversations.js';
import { eventsUrl, RealtimeConnection, type RealtimeStatus } from '../lib/realtime.js';
import { chatIdOf, chatPath, navigate, onLinkClick, type Loc } from '../lib/router.js';
import { TypingThrottle } from '../lib/typing.js';
import { useSession } from '../session.js';
import { AdminPage } from './admin/AdminPage.js';
import { Avatar } from './Avatar.js';
import { ChatList } from './chat/ChatList.js';
import { ChatView } from './chat/ChatView.js';
import { NewChatDialog } from './NewChatDialog.js';
import { SearchBar } from './SearchBar.js';
import { Today } from './Today.js';

function NavLink({ to, label, icon, active, badge }: { to: string; label: string; icon: string; active: boolean; badge?: number }) {
  return (
    <a href={to} className={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} onClick={(e) => onLinkClick(e, to)}>
      <span className="nav-icon" aria-hidden="true">
        {icon}
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
  const { me, signOut } = useSession();
  const [status, setStatus] = useState<RealtimeStatus>('connecting');
  const [newChat, setNewChat] = useState<{ open: boolean; prefill: string }>({ open: false, prefill: '' });
  const store = useMemo(() => new ChatStore(me.user.id, chatApi), [me.user.id]);
  const rt = useMemo(
    () =>
      new RealtimeConnection({
        url: eventsUrl(window.location),
        onEvent: (ev) => store.applyEvent(ev),
        onOpen: (reconnected) => {
          if (reconnected) void store.catchUp().catch(() => undefined);
        },
        onStatus: setStatus,
        // 4401: the server closed the socket because the session ended.
        stopCodes: [4401, 4403],
      }),
    [store],
  );
  const typing = useMemo(() => new TypingThrottle((conversationId) => rt.send({ type: 'typing', conversationId })), [rt]);

  useEffect(() => {
    rt.start();
    void store.loadConversations().catch(() => undefined);
    return () => {
      rt.stop();
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
  const chats = useMemo<Chats>(() => ({ store, typing, status, openByEmail, openNewChat }), [store, typing, status, openByEmail, openNewChat]);

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
          <NavLink to="/today" label="Today" icon="☀" active={section === 'today'} />
          <NavLink to="/chat" label="Chat" icon="💬" active={section === 'chat'} badge={unread} />
          {isAdmin && <NavLink to="/admin" label="Admin" icon="⚙" active={section === 'admin'} />}
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
              <span aria-hidden="true">＋</span> New chat
            </button>
            {status !== 'open' && (
              <span className={`conn conn-${status}`} role="status">
                {status === 'connecting' ? 'Connecting…' : 'Offline — reconnecting'}
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
                    <button className="btn primary" onClick={() => openNewChat()}>
                      New chat
                    </button>
                  </section>
                )}
              </div>
            )}
            {section === 'admin' && (isAdmin ? <AdminPage loc={loc} /> : <p className="page-pad">Only administrators of your organization can open this page.</p>)}
          </div>
        </div>
        {newChat.open && <NewChatDialog initial={newChat.prefill} onClose={() => setNewChat({ open: false, prefill: '' })} />}
      </div>
    </ChatsContext.Provider>
  );
}
