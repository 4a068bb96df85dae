import { useChats } from '../../chat-context.js';
import { conversationBadges, conversationTitle, lastMessagePreview, otherParticipant } from '../../lib/conversations.js';
import { formatTime } from '../../lib/format.js';
import { chatPath, onLinkClick } from '../../lib/router.js';
import { useSession } from '../../session.js';
import { Avatar } from '../Avatar.js';
import { Badges } from './Badges.js';
import { Icon } from '../Icon.js';

export function ChatList({ activeId }: { activeId: string | null }) {
  const { me } = useSession();
  const { store, openNewChat, openNewGroup } = useChats();
  const list = store.sortedConversations();
  const meId = me.user.id;
  return (
    <aside className="chat-list" aria-label="Chats">
      <div className="list-head">
        <h1>Chats</h1>
        <span className="row">
          <button className="icon-btn" onClick={() => openNewGroup()} aria-label="New group" title="New group">
            <Icon name="users" />
          </button>
          <button className="icon-btn" onClick={() => openNewChat()} aria-label="New chat" title="New chat">
            <Icon name="compose" />
          </button>
        </span>
      </div>
      {!store.listLoaded && <p className="muted page-pad">Loading…</p>}
      {store.listLoaded && list.length === 0 && <p className="muted page-pad">No chats yet.</p>}
      <ul>
        {list.map((c) => {
          const title = conversationTitle(c, meId);
          const other = c.kind === 'direct' ? otherParticipant(c, meId) : undefined;
          const to = chatPath(c.id);
          const when = c.lastMessage?.createdAt ?? c.lastActivityAt;
          return (
            <li key={c.id}>
              <a href={to} className={`chat-item${c.id === activeId ? ' active' : ''}${c.unreadCount ? ' unread' : ''}`} aria-current={c.id === activeId ? 'page' : undefined} onClick={(e) => onLinkClick(e, to)} data-testid="chat-item">
                <Avatar id={other?.userId ?? other?.email ?? c.id} name={title} size={40} />
                <span className="chat-item-main">
                  <span className="chat-item-top">
                    <span className="chat-title">{title}</span>
                    <time dateTime={when}>{formatTime(when)}</time>
                  </span>
                  <span className="chat-item-bottom">
                    <span className="preview">{lastMessagePreview(c, meId)}</span>
                    {c.unreadCount > 0 && (
                      <span className="count" aria-label={`${c.unreadCount} unread`}>
                        {c.unreadCount}
                      </span>
                    )}
                  </span>
                  <Badges badges={conversationBadges(c, meId)} />
                </span>
              </a>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
