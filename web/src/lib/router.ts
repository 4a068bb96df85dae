import { useSyncExternalStore } from 'react';

/** A small history router: the app has a handful of routes and needs nothing more. */

const listeners = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const fn of listeners) fn();
}

export interface Loc {
  path: string;
  params: URLSearchParams;
}

export function parseLoc(href: string): Loc {
  const [path = '/', search = ''] = href.split('?');
  return { path: path.replace(/\/+$/, '') || '/', params: new URLSearchParams(search) };
}

export function useLocation(): Loc {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  return parseLoc(href);
}

/** `/chat/:id` → id. */
export function chatIdOf(path: string): string | null {
  const m = /^\/chat\/([^/]+)$/.exec(path);
  return m ? decodeURIComponent(m[1]!) : null;
}

export function chatPath(id: string): string {
  return `/chat/${encodeURIComponent(id)}`;
}

/** Left clicks on internal links navigate without reloading; modified clicks keep browser behaviour. */
export function onLinkClick(e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; preventDefault(): void }, to: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
