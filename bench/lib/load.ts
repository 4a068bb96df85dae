import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import WebSocket from 'ws';
import type { AppContext } from '../../src/server/context.js';
import { request } from './setup.js';

export interface Delivery {
  /** Index of the socket's owner (the caller's numbering). */
  owner: number;
  clientId: string;
  at: number;
}

/** The server's answer to a `message.send` frame: 201/200 (message.sent) or the refusal's status. */
export interface Answer {
  clientId: string;
  status: number;
  seq?: number;
}

/**
 * Opens `tokens.length` real WebSockets; every message.created is reported with its arrival time,
 * and every answer to a `message.send` of that socket to `onAnswer`.
 */
export async function connectSockets(
  urls: string[],
  tokens: { owner: number; token: string }[],
  onMessage: (d: Delivery) => void,
  onAnswer: (a: Answer) => void = () => undefined,
  concurrency = 200,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(tokens.length);
  let next = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tokens.length) {
        const i = next++;
        const { owner, token } = tokens[i]!;
        const url = `${urls[i % urls.length]!.replace(/^http/, 'ws')}/api/v1/events?token=${encodeURIComponent(token)}`;
        sockets[i] = await new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          ws.on('message', (data: Buffer) => {
            const at = performance.now();
            // Only message.created matters here; a cheap prefix test avoids parsing the rest.
            if (data.indexOf('"message.created"') < 0) {
              if (data.indexOf('"message.sent"') >= 0) {
                const e = JSON.parse(data.toString()) as { clientId: string; created: boolean; message: { seq: number } };
                onAnswer({ clientId: e.clientId, status: e.created ? 201 : 200, seq: e.message.seq });
              } else if (data.indexOf('"message.failed"') >= 0) {
                const e = JSON.parse(data.toString()) as { clientId: string; status: number };
                onAnswer({ clientId: e.clientId, status: e.status });
              } else if (data.indexOf('"hello"') >= 0) resolve(ws);
              return;
            }
            const e = JSON.parse(data.toString()) as { message: { clientId: string } };
            onMessage({ owner, clientId: e.message.clientId, at });
          });
          ws.once('error', (err) => {
            failures++;
            reject(err);
          });
        });
      }
    }),
  );
  if (failures) throw new Error(`${failures} sockets failed to connect`);
  return sockets;
}

export function closeSockets(sockets: WebSocket[]): void {
  for (const ws of sockets) ws?.terminate();
}

export interface SendResult {
  status: number;
  startedAt: number;
  ackedAt: number;
  seq?: number;
}

/** POST one message; the start time is taken right before the request is written. */
export async function sendMessage(baseUrl: string, token: string, conversationId: string, clientId: string, body: string): Promise<SendResult> {
  const startedAt = performance.now();
  const res = await request(`${baseUrl}/api/v1/conversations/${conversationId}/messages`, 'POST', token, { clientId, body });
  const ackedAt = performance.now();
  let seq: number | undefined;
  if (res.status === 201 || res.status === 200) seq = (JSON.parse(res.text) as { seq: number }).seq;
  return { status: res.status, startedAt, ackedAt, seq };
}

export interface Integrity {
  rows: number;
  conversations: number;
  gaps: number;
  duplicateClientIds: number;
}

/** Counts what the database holds for these conversations: rows, seq gaps, duplicate clientIds. */
export async function checkIntegrity(ctx: AppContext, conversationIds: string[]): Promise<Integrity> {
  let rows = 0;
  let gaps = 0;
  let dups = 0;
  for (let i = 0; i < conversationIds.length; i += 500) {
    const chunk = conversationIds.slice(i, i + 500);
    const r = await ctx.db
      .selectFrom('messages')
      .select((eb) => [
        'conversation_id',
        eb.fn.countAll<number>().as('n'),
        eb.fn.max<number>('seq').as('maxSeq'),
        sql<number>`count(distinct (sender_id || ':' || client_id))`.as('distinctClient'),
      ])
      .where('conversation_id', 'in', chunk)
      .groupBy('conversation_id')
      .execute();
    for (const g of r) {
      const n = Number(g.n);
      rows += n;
      if (Number(g.maxSeq) !== n) gaps++;
      if (Number(g.distinctClient) !== n) dups += n - Number(g.distinctClient);
    }
  }
  return { rows, conversations: conversationIds.length, gaps, duplicateClientIds: dups };
}

/**
 * Open loop: starts `send()` at fixed times, `rate` a second for `seconds`, whatever the answers
 * (a closed loop would slow down with the server and hide its queueing), then waits for every
 * send to settle. Past `maxInFlight` unanswered sends a due send is skipped (`onSkip`), so a
 * saturated server shows up as failures and latency, not as a load generator out of memory.
 */
export async function openLoop(rate: number, seconds: number, send: () => Promise<unknown>, opts: { maxInFlight?: number; onSkip?: () => void } = {}): Promise<void> {
  const begin = performance.now();
  const end = begin + seconds * 1000;
  let launched = 0;
  let inflight = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, end) - begin) / 1000) * rate);
      while (launched < due) {
        launched++;
        if (opts.maxInFlight !== undefined && inflight >= opts.maxInFlight) {
          opts.onSkip?.();
          continue;
        }
        inflight++;
        void send().finally(() => inflight--);
      }
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  while (inflight > 0) await new Promise((r) => setTimeout(r, 5));
}
