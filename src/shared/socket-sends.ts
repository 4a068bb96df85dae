import type { Message } from './api/shapes.js';

/**
 * The socket could not carry a send (it closed, or no answer came in time): the message may or
 * may not be stored. Send it again over HTTP with the same clientId, which can never make a
 * second message.
 */
export class SocketSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocketSendError';
  }
}

export interface SentAnswer {
  created: boolean;
  message: Message;
}

interface Pending {
  resolve: (r: SentAnswer) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Sends made on the socket (`message.send`) waiting for their answer, by conversation and clientId. */
export class PendingSends {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timeoutMs: number) {}

  has(conversationId: string, clientId: string): boolean {
    return this.pending.has(key(conversationId, clientId));
  }

  /** Waits for the answer of a send that `transmit` puts on the socket (false: it could not). */
  start(conversationId: string, clientId: string, transmit: () => boolean): Promise<SentAnswer> {
    const k = key(conversationId, clientId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(k, (p) => p.reject(new SocketSendError('no answer on the connection in time'))), this.timeoutMs);
      this.pending.set(k, { resolve, reject, timer });
      if (!transmit()) this.settle(k, (p) => p.reject(new SocketSendError('the connection is not open')));
    });
  }

  resolve(conversationId: string, clientId: string, answer: SentAnswer): void {
    this.settle(key(conversationId, clientId), (p) => p.resolve(answer));
  }

  reject(conversationId: string, clientId: string, err: Error): void {
    this.settle(key(conversationId, clientId), (p) => p.reject(err));
  }

  /** The socket is gone: whatever it carried is unknown, so every waiting send fails over to HTTP. */
  failAll(why: string): void {
    for (const k of [...this.pending.keys()]) this.settle(k, (p) => p.reject(new SocketSendError(why)));
  }

  private settle(k: string, how: (p: Pending) => void): void {
    const p = this.pending.get(k);
    if (!p) return;
    this.pending.delete(k);
    clearTimeout(p.timer);
    how(p);
  }
}

function key(conversationId: string, clientId: string): string {
  return `${conversationId}\u0000${clientId}`;
}
