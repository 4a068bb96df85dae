import type { AppContext, Executor } from '../context.js';
import { withChangeSeq } from './message-store.js';

interface Ticket {
  readonly conversationId: string;
  readonly changeSeq: number;
  publish: (() => void) | null;
  cancelled: boolean;
}

/**
 * Tells the changes made on this node in the order of their numbers. Changes of one chat commit
 * in that order (the chat's row stays locked until commit), but on PostgreSQL each commits on a
 * connection of its own and the node may read their answers in another order: under load, change
 * N+1 was told before N. Each change therefore takes its place in its chat's line when it gets its
 * number, and is told once every change before it on this node has been told or has given up.
 * (Changes made on other nodes reach clients through the bus in their own order; clients fill
 * holes from `changedAfter`, as the README says.)
 */
export class ChangeLine {
  private readonly lines = new Map<string, Ticket[]>();

  take(conversationId: string, changeSeq: number): Ticket {
    const ticket: Ticket = { conversationId, changeSeq, publish: null, cancelled: false };
    const line = this.lines.get(conversationId);
    if (!line) {
      this.lines.set(conversationId, [ticket]);
      return ticket;
    }
    let i = line.length;
    while (i > 0 && line[i - 1]!.changeSeq > changeSeq) i--;
    line.splice(i, 0, ticket);
    return ticket;
  }

  /** The change committed: told now, or as soon as those before it are. */
  ready(ticket: Ticket, publish: () => void): void {
    ticket.publish = publish;
    this.flush(ticket.conversationId);
  }

  /** The change was rolled back or failed: it holds nothing up. */
  cancel(ticket: Ticket): void {
    ticket.cancelled = true;
    this.flush(ticket.conversationId);
  }

  /** Changes of a chat waiting to be told (for tests). */
  waiting(conversationId: string): number {
    return this.lines.get(conversationId)?.length ?? 0;
  }

  private flush(conversationId: string): void {
    const line = this.lines.get(conversationId);
    if (!line) return;
    while (line.length > 0 && (line[0]!.cancelled || line[0]!.publish)) {
      const t = line.shift()!;
      try {
        t.publish?.();
      } catch {
        // Publishing only hands events to the bus; a failure there must not stall the line.
      }
    }
    if (line.length === 0) this.lines.delete(conversationId);
  }
}

const lines = new WeakMap<AppContext, ChangeLine>();

export function changeLine(ctx: AppContext): ChangeLine {
  let line = lines.get(ctx);
  if (!line) lines.set(ctx, (line = new ChangeLine()));
  return line;
}

/**
 * A change of a message under the chat's next change number (`withChangeSeq`), told by `publish`
 * after commit in the order of the numbers taken on this node.
 */
export async function withToldChange<T>(
  ctx: AppContext,
  conversationId: string,
  apply: (trx: Executor, changeSeq: number) => Promise<T | null>,
  publish: (done: T) => void,
): Promise<T | null> {
  const line = changeLine(ctx);
  let ticket: Ticket | null = null;
  try {
    const done = await withChangeSeq(ctx.db, conversationId, async (trx, changeSeq) => {
      // A retried transaction body would take a second place: give up the first.
      if (ticket) line.cancel(ticket);
      ticket = line.take(conversationId, changeSeq);
      return apply(trx, changeSeq);
    });
    if (done !== null && ticket) {
      const t: Ticket = ticket;
      ticket = null;
      line.ready(t, () => publish(done));
    }
    return done;
  } finally {
    if (ticket) line.cancel(ticket);
  }
}
