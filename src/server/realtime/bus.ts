import type { ServerEvent } from '../../shared/events.js';

/**
 * Fan-out of realtime events to the users they concern. Services publish after their
 * transaction commits; the WebSocket gateway of every node subscribes and delivers to its own
 * sockets. The in-process bus serves one node; the Redis bus crosses nodes.
 */
export interface EventBus {
  publish(userIds: readonly string[], event: ServerEvent, options?: PublishOptions): void;
  /** Called on every node for every published event; returns an unsubscribe function. */
  subscribe(handler: BusHandler): () => void;
  /**
   * Called when this node may have missed events (its connection to the other nodes was
   * interrupted and is back); returns an unsubscribe function.
   */
  onGap(handler: () => void): () => void;
  close(): Promise<void>;
}

export interface PublishOptions {
  /**
   * A socket (its `hello.connectionId`, unique across nodes) that must not get this event: the
   * one that sent a message over the WebSocket has its own answer (`message.sent`) already.
   */
  skipConnection?: string;
}

export type BusHandler = (userIds: readonly string[], event: ServerEvent, json: string, options: PublishOptions) => void;

export class LocalBus implements EventBus {
  private handlers = new Set<BusHandler>();

  publish(userIds: readonly string[], event: ServerEvent, options: PublishOptions = {}): void {
    if (userIds.length === 0 || this.handlers.size === 0) return;
    // Serialized once here, not once per recipient.
    const json = JSON.stringify(event);
    for (const h of this.handlers) h(userIds, event, json, options);
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** In process, nothing is ever missed. */
  onGap(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
