import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { LocalBus, type EventBus } from './bus.js';

/** One node: in-process. Several nodes (`--redis-url`): Redis pub/sub. */
export async function createEventBus(config: Config, _log: Logger): Promise<EventBus> {
  if (config.redisUrl) {
    // The Redis bus is added with multi-node support.
    throw new Error('Redis event bus is not available in this build');
  }
  return new LocalBus();
}
