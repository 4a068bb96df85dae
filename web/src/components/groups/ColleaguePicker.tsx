import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DirectoryEntry } from '../../../../src/shared/api/directory.js';
import { api, client } from '../../lib/client.js';
import { colleagueCandidates, noCandidateText, pickOf, togglePick, type Pick } from '../../lib/groups.js';
import { errorText } from '../../lib/reasons.js';
import { debounce, shouldSearch } from '../../lib/search.js';
import { Avatar } from '../Avatar.js';
import { Icon } from '../Icon.js';

interface Props {
  meId: string;
  picked: Pick[];
  onChange(picked: Pick[]): void;
  /** People already in the group: never offered again. */
  exclude?: ReadonlySet<string>;
}

type Found = { q: string; items: DirectoryEntry[] } | { q: string; error: string };

/**
 * Choosing colleagues through the directory: type a name or email, pick from the answers (a
 * click, or Enter for the first one); chosen people show as chips that can be taken off again.
 */
export function ColleaguePicker({ meId, picked, onChange, exclude }: Props) {
  const id = useId();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Found | null>(null);
  const seq = useRef(0);
  const input = useRef<HTMLInputElement>(null);
  const skip = useMemo(() => exclude ?? new Set<string>(), [exclude]);

  const search = useMemo(
    () =>
      debounce((text: string) => {
        const mine = ++seq.current;
        client.call(api.directory.search, { query: { q: text } }).then(
          (res) => mine === seq.current && setFound({ q: text, items: res.items }),
          (err: unknown) => mine === seq.current && setFound({ q: text, error: errorText(err) }),
        );
      }, 250),
    [],
  );
  useEffect(() => () => search.cancel(), [search]);

  const onType = (text: string) => {
    setQ(text);
    if (shouldSearch(text)) search(text.trim());
    else {
      search.cancel();
      seq.current++;
      setFound(null);
    }
  };

  const trimmed = q.trim();
  const current = found && found.q === trimmed ? found : null;
  const candidates = current && 'items' in current ? colleagueCandidates(current.items, meId, skip) : [];
  const isPicked = (uid: string) => picked.some((p) => p.userId === uid);

  const toggle = (e: DirectoryEntry) => onChange(togglePick(picked, pickOf(e)));

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    // Enter picks the first match instead of submitting the form around the picker.
    if (e.key === 'Enter') {
      e.preventDefault();
      const first = candidates.find((c) => !isPicked(c.userId));
      if (first) {
        toggle(first);
        onType('');
      }
    }
  };

  let status = '';
  if (trimmed && !shouldSearch(trimmed)) status = 'Keep typing…';
  else if (shouldSearch(trimmed) && !current) status = 'Searching…';
  else if (current && 'error' in current) status = current.error;
  else if (current && candidates.length === 0) status = noCandidateText(current.items, meId, skip);

  return (
    <div className="picker">
      <div className="field">
        <label htmlFor={`${id}-q`}>Add colleagues</label>
        <input
          ref={input}
          id={`${id}-q`}
          type="search"
          autoComplete="off"
          spellCheck={false}
          placeholder="Name or email of a colleague"
          value={q}
          onChange={(e) => onType(e.target.value)}
          onKeyDown={onKeyDown}
          maxLength={254}
          aria-describedby={`${id}-status`}
        />
      </div>
      {picked.length > 0 && (
        <ul className="chips" aria-label="Chosen colleagues">
          {picked.map((p) => (
            <li key={p.userId} className="chip">
              <span>{p.displayName || p.email}</span>
              <button type="button" className="chip-x" aria-label={`Take ${p.displayName || p.email} off`} onClick={() => onChange(togglePick(picked, p))}>
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <p id={`${id}-status`} className="muted small picker-status" aria-live="polite">
        {status}
      </p>
      {candidates.length > 0 && (
        <ul className="pick-results" aria-label="Colleagues found">
          {candidates.map((c) => {
            const on = isPicked(c.userId);
            return (
              <li key={c.userId}>
                <button type="button" className={`pick-row${on ? ' on' : ''}`} aria-pressed={on} onClick={() => toggle(c)}>
                  <Avatar id={c.userId} name={c.displayName} size={30} />
                  <span className="res-main">
                    {c.displayName}
                    <small>{c.email}</small>
                  </span>
                  <span className="pick-mark">{on ? 'Added' : 'Add'}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
