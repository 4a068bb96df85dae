import { useCallback, useEffect, useRef, useState } from 'react';
import { useChats } from '../chat-context.js';
import { api, client } from '../lib/client.js';
import { formatTime } from '../lib/format.js';
import { withoutBidiControls } from '../lib/links.js';
import type { ActivityEntry } from '../../../src/shared/api/activity.js';
import { errorText } from '../lib/reasons.js';
import { useSession } from '../session.js';
import { Avatar } from './Avatar.js';
import { ErrorNote } from './Field.js';

/** The badge of the entry's person, labelled like a chat participant (design.md rule 5). */
function personBadge(p: ActivityEntry['person']) {
  if (p.deleted) return <span className="badge badge-former">{p.label ?? (p.orgName ? `Former member of ${p.orgName}` : 'Former member')}</span>;
  if (p.pending) return <span className="badge badge-pending">{p.label ?? 'Pending invite'}</span>;
  if (p.external) return <span className="badge badge-external">{p.label ?? `External${p.orgName ? ` · ${p.orgName}` : ''}`}</span>;
  return null;
}

export function entryLabel(it: Pick<ActivityEntry, 'kind' | 'status' | 'state'>): string {
  if (it.kind === 'invitation') return it.status === 'accepted' ? 'Invitation accepted' : 'Invitation sent';
  if (it.kind === 'request') {
    if (it.status === 'accepted') return 'Request accepted';
    if (it.status === 'declined') return 'Request declined';
    if (it.status === 'blocked') return 'Blocked';
    return 'Message request';
  }
  if (it.state === 'readonly') return 'Read-only chat';
  return 'Chat';
}

/** Today: recent chats, invitations and requests; each entry is a way back to that person. */
export function Today() {
  const { me } = useSession();
  const { openByEmail, openNewChat, store } = useChats();
  const [items, setItems] = useState<ActivityEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await client.call(api.activity.feed, { query: { limit: 50 } })).items);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  // Reload when chats change (a new chat, message or request shows up here too), not on typing.
  // Read elsewhere (another tab or device) counts as a change: the feed's unread counts follow.
  const signature = [...store.conversations.values()].map((c) => `${c.id}:${c.lastSeq}:${c.state}:${c.unreadCount}`).join(',');
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
          const p = it.person;
          const who = p.pending ? p.email : p.displayName || p.email;
          const email = it.actions.message.email;
          return (
            <li key={it.id} className="feed-item" data-testid="activity-item">
              <Avatar id={p.userId ?? p.email} name={who} />
              <div className="feed-main">
                <div className="feed-line">
                  <strong>{who}</strong>
                  {personBadge(p)}
                  <span className={`badge badge-kind kind-${it.kind}`}>{entryLabel(it)}</span>
                  {it.unreadCount ? <span className="count">{it.unreadCount}</span> : null}
                </div>
                {it.preview && <div className="feed-summary">{withoutBidiControls(it.preview)}</div>}
                {!p.pending && <div className="muted small">{p.email}</div>}
              </div>
              <time className="muted small" dateTime={it.at}>
                {formatTime(it.at)}
              </time>
              <button className="btn small" onClick={() => void message(email)} aria-label={`Message ${who}`}>
                Message
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
