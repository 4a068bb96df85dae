import type { Message } from '../../../src/shared/api/shapes.js';

/**
 * The message list of one chat, merged by `seq`: pages, live events and catch-up answers arrive
 * in any order and may overlap; the newest version of each message (edits, deletions) wins.
 */

function version(m: Message): string {
  return m.deletedAt ?? m.editedAt ?? m.createdAt;
}

/**
 * Whether `m` is a newer copy than `cur`. A deletion is final; otherwise the server's change
 * number decides (clocks of different nodes may disagree), and the timestamps only between copies
 * of one state.
 */
function isNewer(m: Message, cur: Message): boolean {
  if (cur.deletedAt) return false;
  if (m.deletedAt) return true;
  if (m.changeSeq !== cur.changeSeq) return m.changeSeq > cur.changeSeq;
  return version(m) >= version(cur);
}

export function mergeBySeq(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  for (const m of incoming) {
    const cur = bySeq.get(m.seq);
    if (!cur || isNewer(m, cur)) bySeq.set(m.seq, m);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function lastSeq(list: readonly Message[]): number {
  return list.length ? list[list.length - 1]!.seq : 0;
}

/** The highest seq up to which the list has no hole (where catch-up must resume). */
export function contiguousSeq(list: readonly Message[]): number {
  if (!list.length) return 0;
  let s = list[0]!.seq;
  for (let i = 1; i < list.length && list[i]!.seq === s + 1; i++) s++;
  return s;
}

export function firstSeq(list: readonly Message[]): number {
  return list.length ? list[0]!.seq : 0;
}

/** A message being sent: shown at once, replaced when the server's copy (same clientId) arrives. */
export interface PendingMessage {
  clientId: string;
  body: string;
  fileNames: string[];
  createdAt: string;
  failed?: string;
  /** It failed for want of a connection (not refused): it is sent again once the connection is back. */
  retryable?: boolean;
}

export function dropAcknowledged(pending: readonly PendingMessage[], messages: readonly Message[]): PendingMessage[] {
  if (pending.length === 0) return pending as PendingMessage[];
  const ids = new Set(messages.map((m) => m.clientId));
  const left = pending.filter((p) => !ids.has(p.clientId));
  return left.length === pending.length ? (pending as PendingMessage[]) : left;
}

/** Whether two messages belong in one visual group (same sender within five minutes). */
export function sameGroup(a: Message | undefined, b: Message): boolean {
  // A note about the group stands on its own: the message after it names its sender again.
  if (!a || a.senderId !== b.senderId || a.system || b.system) return false;
  return Date.parse(b.createdAt) - Date.parse(a.createdAt) < 5 * 60_000;
}

export function newClientId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
