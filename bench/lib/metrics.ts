/**
 * Reads a node's /metrics (Prometheus text) so a run can print what the node itself saw over the
 * measured window: its message batches, its WAL flushes, checkpoints and holds, and how late its
 * event loop ran (the worst delay of each second).
 */
import { line } from './stats.js';

export type Scrape = Map<string, number>;

export async function scrapeMetrics(url: string): Promise<Scrape> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Scrape = new Map();
  for (const l of text.split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const at = l.lastIndexOf(' ');
    out.set(l.slice(0, at), Number(l.slice(at + 1)));
  }
  return out;
}

interface Window {
  count: number;
  sum: number;
  /** Cumulative counts by upper bound (seconds, or messages), +Inf last. */
  buckets: [number, number][];
}

/**
 * A histogram's observations between two scrapes of the same node; `labels` picks one series of
 * a labelled family (`route="/api/v1/…"`, as the exposition writes it after `le`).
 */
function windowOf(before: Scrape, after: Scrape, name: string, labels = ''): Window {
  const d = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const buckets: [number, number][] = [];
  const head = `${name}_bucket{le="`;
  const tail = `"${labels ? `,${labels}` : ''}}`;
  for (const key of after.keys()) {
    if (!key.startsWith(head) || !key.endsWith(tail)) continue;
    const le = key.slice(head.length, key.length - tail.length);
    if (le.includes('"')) continue; // a series with other labels
    buckets.push([le === '+Inf' ? Infinity : Number(le), d(key)]);
  }
  const series = labels ? `{${labels}}` : '';
  return { count: d(`${name}_count${series}`), sum: d(`${name}_sum${series}`), buckets };
}

/** p50 and p99 of the node's own time answering one route between two scrapes. */
export function routeTimes(before: Scrape, after: Scrape, route: string): string {
  const w = windowOf(before, after, 'parley_http_request_duration_seconds', `route="${route}"`);
  return `p50 ${bound(w, 0.5, ms)}, p99 ${bound(w, 0.99, ms)} (${w.count} requests)`;
}

/** The bucket bound under which a share `q` of the window's observations fall. */
function bound(w: Window, q: number, unit: (v: number) => string): string {
  const hit = w.buckets.find(([, c]) => c >= q * w.count);
  if (!hit || hit[0] === Infinity) {
    const last = w.buckets[w.buckets.length - 2];
    return last ? `> ${unit(last[0])}` : '?';
  }
  return `≤ ${unit(hit[0])}`;
}

const ms = (s: number) => `${+(s * 1000).toFixed(1)} ms`;

/** Prints the node's own figures for the window between two scrapes. */
export function printNodeWindow(label: string, before: Scrape, after: Scrape): void {
  const batches = windowOf(before, after, 'parley_message_batch_size');
  if (batches.count > 0) line(`${label}message batches`, `${batches.count} (${(batches.sum / batches.count).toFixed(1)} messages each)`);
  const store = windowOf(before, after, 'parley_message_store_seconds');
  if (store.count > 0) line(`${label}time in the message writer`, `p50 ${bound(store, 0.5, ms)}, p99 ${bound(store, 0.99, ms)}, longest ${bound(store, 1, ms)}`);
  const flush = windowOf(before, after, 'parley_wal_flush_seconds');
  if (flush.count > 0) line(`${label}WAL flushes`, `${flush.count}, p50 ${bound(flush, 0.5, ms)}, p99 ${bound(flush, 0.99, ms)}, longest ${bound(flush, 1, ms)}`);
  const ckpt = windowOf(before, after, 'parley_wal_checkpoint_seconds');
  if (ckpt.count > 0) line(`${label}WAL checkpoints`, `${ckpt.count}, ${ms(ckpt.sum)} in all, longest ${bound(ckpt, 1, ms)}`);
  const hold = windowOf(before, after, 'parley_wal_hold_seconds');
  if (ckpt.count > 0) line(`${label}commits held for a checkpoint`, `${hold.count} times, ${ms(hold.sum)} in all${hold.count ? `, longest ${bound(hold, 1, ms)}` : ''}`);
  const loop = windowOf(before, after, 'parley_event_loop_delay_seconds');
  if (loop.count > 0) {
    const late = loop.count - (loop.buckets.find(([le]) => le === 0.01)?.[1] ?? 0);
    line(`${label}event loop, worst per second`, `p50 ${bound(loop, 0.5, ms)}, longest ${bound(loop, 1, ms)}; ${late} of ${loop.count} s over 10 ms`);
  }
}
