import { useCallback, useEffect, useRef, useState } from 'react';
import { useChats } from '../chat-context.js';
import { client, routes } from '../lib/client.js';
import { formatTime } from '../lib/format.js';
import type { ActivityItem } from '../lib/pending-routes.js';
import { errorText } from '../lib/reasons.js';
import { useSession } from '../session.js';
import { Avatar } from './Avatar.js';
import { ErrorNote } from './Field.js';

const KIND_LABEL: Record<string, string> = {
  chat: 'Chat',
  message: 'Chat',
  invitation: 'Invitation',
  invite: 'Invitation',
  request: 'Message request',
  message_request: 'Message request',
  call: 'Call',
};

export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind.replace(/[._]/g, ' ');
}

/** Today: recent chats, invitations and requests; each entry is a way back to that person. */
export function Today() {
  const { me } = useSession();
  const { openByEmail, openNewChat, store } = useChats();
  const [items, setItems] = useState<ActivityItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await client.call(routes.activity.list)).items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  // Reload when chats change (a new chat, message or request shows up here too), not on typing.
  const signature = [...store.conversations.values()].map((c) => `${c.id}:${c.lastSeq}:${c.state}`).join(',');
  const first = useRef(true);
  useEffect(() => {
    const t = setTimeout(() => void load(), first.current ? 0 : 500);
    first.current = false;
    return () => clearTimeout(t);
  }, [load, signature]);

  const message = async (email: string) => {
    try {
      await openByEmail(email);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="today page-pad" aria-labelledby="today-title">
      <div className="page-head">
        <div>
          <h1 id="today-title">Today</h1>
          <p className="muted">Hello {me.user.displayName}. Here is what happened recently.</p>
        </div>
        <button className="btn primary" onClick={() => openNewChat()}>
          New chat
        </button>
      </div>
      <ErrorNote message={error} />
      {items === null && !error && <p className="muted">Loading…</p>}
      {items && items.length === 0 && (
        <div className="empty-card">
          <p>Nothing yet. Start a chat with anyone by typing their email.</p>
        </div>
      )}
      <ul className="feed">
        {items?.map((it) => {
          const who = it.displayName || it.email || 'Someone';
          return (
            <li key={it.id} className="feed-item">
              <Avatar id={it.email ?? it.id} name={who} />
              <div className="feed-main">
                <div className="feed-line">
                  <strong>{who}</strong>
                  {it.external && <span className="badge badge-external">External{it.orgName ? ` · ${it.orgName}` : ''}</span>}
                  <span className={`badge badge-kind kind-${it.kind}`}>{kindLabel(it.kind)}</span>
                </div>
                {it.summary && <div className="feed-summary">{it.summary}</div>}
                {it.email && it.displayName && <div className="muted small">{it.email}</div>}
              </div>
              <time className="muted small" dateTime={it.at}>
                {formatTime(it.at)}
              </time>
              {it.email && (
                <button className="btn small" onClick={() => void message(it.email!)} aria-label={`Message ${who}`}>
                  Message
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
