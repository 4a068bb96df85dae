/** What the Search and dial bar does with what was typed. */

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isFullEmail(q: string): boolean {
  return EMAIL_RE.test(q.trim());
}

/** Colleagues are searched from two characters on; anyone outside only by a full email. */
export function shouldSearch(q: string): boolean {
  const t = q.trim();
  return t.length >= 2 || isFullEmail(t);
}

/** Arrow keys move through results and wrap; -1 means no result is active. */
export function moveActive(current: number, count: number, key: 'ArrowDown' | 'ArrowUp'): number {
  if (count <= 0) return -1;
  if (key === 'ArrowDown') return current < 0 ? 0 : (current + 1) % count;
  return current <= 0 ? count - 1 : current - 1;
}

/** Calls `fn` once typing pauses for `ms`; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const call = (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  call.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return call;
}
