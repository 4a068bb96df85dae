import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { cliWebSocket } from './socket.js';

/** A bare WebSocket server that says hello with a short heartbeat, pinging only when told to. */
async function helloServer(opts: { heartbeatMs: number; pingEveryMs?: number }) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const upgrades: IncomingMessage[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  wss.on('connection', (ws: ServerSocket, req: IncomingMessage) => {
    upgrades.push(req);
    ws.send(JSON.stringify({ type: 'hello', userId: 'u', connectionId: 'c', heartbeatMs: opts.heartbeatMs }));
    if (opts.pingEveryMs) timers.push(setInterval(() => ws.ping(), opts.pingEveryMs));
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/v1/events`;
  return { url, upgrades, close: () => (timers.forEach(clearInterval), wss.close()) };
}

describe('the command-line client socket', () => {
  const servers: { close: () => void }[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  function openAndTime(url: string): Promise<number> {
    const Socket = cliWebSocket('secret-token', 2000);
    const ws = new Socket(url) as unknown as { on(ev: 'close', fn: () => void): void };
    const started = Date.now();
    return new Promise((resolve) => ws.on('close', () => resolve(Date.now() - started)));
  }

  it('sends the token as a header, not in the URL, and ends a connection the server went silent on', async () => {
    const server = await helloServer({ heartbeatMs: 200 });
    servers.push(server);
    const lived = await openAndTime(server.url);
    // 2.5 heartbeats of silence, floored at 1 s.
    expect(lived).toBeGreaterThanOrEqual(950);
    expect(lived).toBeLessThan(3000);
    expect(server.upgrades).toHaveLength(1);
    expect(server.upgrades[0]!.url).toBe('/api/v1/events');
    expect(server.upgrades[0]!.headers.authorization).toBe('Bearer secret-token');
    expect(server.upgrades[0]!.headers['parley-client']).toMatch(/^cli\//);
  });

  it('keeps a connection open while the server pings', async () => {
    const server = await helloServer({ heartbeatMs: 200, pingEveryMs: 150 });
    servers.push(server);
    const Socket = cliWebSocket('secret-token', 2000);
    const ws = new Socket(server.url) as unknown as { readyState: number; close(): void };
    await new Promise((r) => setTimeout(r, 2500));
    expect(ws.readyState).toBe(1);
    ws.close();
  });
});
