import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useChats } from '../chat-context.js';
import { api, client } from '../lib/client.js';
import { conversationTitle, otherParticipant } from '../lib/conversations.js';
import type { DirectoryEntry } from '../../../src/shared/api/directory.js';
import { errorText, reasonText } from '../lib/reasons.js';
import { chatPath, navigate } from '../lib/router.js';
import { debounce, isFullEmail, moveActive, shouldSearch } from '../lib/search.js';
import { useSession } from '../session.js';
import { Avatar } from './Avatar.js';
import { Icon } from './Icon.js';

type Result =
  | { kind: 'chat'; key: string; id: string; title: string }
  /** `chatId`: a direct chat with them I already have; `refusal`: why a new one would be refused. */
  | { kind: 'person'; key: string; person: DirectoryEntry; chatId?: string; refusal?: string }
  | { kind: 'invite'; key: string; email: string; canInvite: boolean };

/**
 * Search and dial: colleagues by name as you type, someone outside only by their full email
 * (the server decides what to reveal); choosing a result opens or starts the chat.
 */
export function SearchBar() {
  const { me } = useSession();
  const { store, openByEmail, openNewChat } = useChats();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [people, setPeople] = useState<{ q: string; items: DirectoryEntry[]; notRegistered: boolean; canInvite: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(-1);
  const seq = useRef(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  // Closing on blur waits for a click on a result; typing or focusing again cancels it.
  const blurTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const keepOpen = () => {
    if (blurTimer.current) clearTimeout(blurTimer.current);
    blurTimer.current = null;
  };

  const search = useMemo(
    () =>
      debounce((text: string) => {
        const mine = ++seq.current;
        client.call(api.directory.search, { query: { q: text } }).then(
          (res) => {
            if (mine !== seq.current) return;
            setError(null);
            setPeople({ q: text, items: res.items, notRegistered: !!res.notRegistered, canInvite: res.canInvite !== false });
          },
          (err: unknown) => {
            if (mine !== seq.current) return;
            setPeople(null);
            setError(errorText(err));
          },
        );
      }, 250),
    [],
  );
  useEffect(() => () => search.cancel(), [search]);

  const onChange = (text: string) => {
    keepOpen();
    setQ(text);
    setError(null);
    setOpen(true);
    setActive(-1);
    if (shouldSearch(text)) search(text.trim());
    else {
      search.cancel();
      seq.current++;
      setPeople(null);
      setError(null);
    }
  };

  const trimmed = q.trim();
  const results: Result[] = [];
  if (trimmed.length >= 2) {
    const needle = trimmed.toLowerCase();
    for (const c of store.sortedConversations()) {
      const title = conversationTitle(c, me.user.id);
      if (c.kind === 'group' && title.toLowerCase().includes(needle)) results.push({ kind: 'chat', key: `c-${c.id}`, id: c.id, title });
      if (results.length >= 3) break;
    }
  }
  if (people && people.q === trimmed) {
    for (const p of people.items) {
      // Someone a new chat with would be refused: their chat, if I have one, still opens;
      // otherwise the refusal is shown on the result instead of a start that cannot succeed.
      const existing = p.canMessage.allowed ? undefined : store.sortedConversations().find((c) => c.kind === 'direct' && otherParticipant(c, me.user.id)?.userId === p.userId);
      results.push({
        kind: 'person',
        key: `p-${p.userId}`,
        person: p,
        ...(existing ? { chatId: existing.id } : {}),
        ...(!p.canMessage.allowed && !existing ? { refusal: reasonText(p.canMessage.reason, p.canMessage.message) } : {}),
      });
    }
    if (people.notRegistered && isFullEmail(trimmed)) results.push({ kind: 'invite', key: `i-${trimmed}`, email: trimmed, canInvite: people.canInvite });
  }

  const close = () => {
    setOpen(false);
    setActive(-1);
  };
  const reset = () => {
    setQ('');
    setPeople(null);
    close();
  };

  const choose = async (r: Result) => {
    try {
      if (r.kind === 'person' && r.refusal) {
        // Nothing to open: the refusal is already on the result; keep the list up.
        return;
      }
      if (r.kind === 'chat') navigate(chatPath(r.id));
      else if (r.kind === 'person' && r.chatId) navigate(chatPath(r.chatId));
      else if (r.kind === 'person') await openByEmail(r.person.email);
      else openNewChat(r.email);
      reset();
      inputRef.current?.blur();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => moveActive(a, results.length, e.key as 'ArrowDown' | 'ArrowUp'));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const r = results[active >= 0 ? active : 0];
      if (r) void choose(r);
      else if (isFullEmail(trimmed)) openNewChat(trimmed);
    } else if (e.key === 'Escape') {
      if (q) reset();
      else inputRef.current?.blur();
    }
  };

  const showList = open && trimmed.length > 0;
  const activeKey = results[active]?.key;
  return (
    <div className="searchbar" role="search">
      <label htmlFor={`${listId}-input`} className="sr-only">
        Search people or type an email
      </label>
      <span className="search-icon">
        <Icon name="search" size={17} />
      </span>
      <input
        ref={inputRef}
        id={`${listId}-input`}
        type="search"
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={activeKey ? `${listId}-${activeKey}` : undefined}
        placeholder="Search people or type an email"
        autoComplete="off"
        spellCheck={false}
        value={q}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onFocus={() => {
          keepOpen();
          setOpen(true);
        }}
        onBlur={() => {
          keepOpen();
          blurTimer.current = setTimeout(close, 150);
        }}
        maxLength={254}
      />
      {showList && (
        <ul className="search-results" id={listId} role="listbox" aria-label="Search results">
          {results.map((r, i) => (
            <li
              key={r.key}
              id={`${listId}-${r.key}`}
              role="option"
              aria-selected={i === active}
              aria-disabled={r.kind === 'person' && r.refusal ? true : undefined}
              className={[i === active ? 'active' : '', r.kind === 'person' && r.refusal ? 'refused' : ''].filter(Boolean).join(' ') || undefined}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => void choose(r)}
              onMouseEnter={() => setActive(i)}
            >
              {r.kind === 'chat' && (
                <>
                  <Avatar id={r.id} name={r.title} size={28} />
                  <span className="res-main">{r.title}</span>
                  <span className="res-side">Group chat</span>
                </>
              )}
              {r.kind === 'person' && (
                <>
                  <Avatar id={r.person.userId} name={r.person.displayName} size={28} />
                  <span className="res-main">
                    <span className="res-name">{r.person.displayName}</span>
                    <small>{r.person.email}</small>
                    {r.refusal && <small className="res-refusal">{r.refusal}</small>}
                  </span>
                  {r.person.external ? (
                    <span className="badge badge-external" title={`External · ${r.person.orgName}`}>
                      External · {r.person.orgName}
                    </span>
                  ) : (
                    <span className="res-side">{r.person.orgName}</span>
                  )}
                </>
              )}
              {r.kind === 'invite' && (
                <>
                  <span className="avatar avatar-ghost" aria-hidden="true">
                    @
                  </span>
                  <span className="res-main">
                    {r.email}
                    <small>Not on Parley yet</small>
                  </span>
                  <span className="res-side">{r.canInvite ? 'Invite…' : 'Start…'}</span>
                </>
              )}
            </li>
          ))}
          {error && (
            <li className="search-empty search-error" role="presentation">
              <span role="alert">{error}</span>
            </li>
          )}
          {results.length === 0 && !error && (
            <li className="search-empty" role="presentation">
              {shouldSearch(trimmed)
                ? people?.q === trimmed
                  ? isFullEmail(trimmed)
                    ? 'Nobody found with this email.'
                    : 'No colleague by that name. For someone outside your organization, type their full email.'
                  : 'Searching…'
                : 'Keep typing…'}
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
