import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { LocalBus, type EventBus } from './bus.js';
import { RedisBus } from './redis-bus.js';

/** One node: in-process. Several nodes (`--redis-url`): Redis pub/sub. */
export async function createEventBus(config: Config, log: Logger): Promise<EventBus> {
  if (config.redisUrl) return RedisBus.connect(config.redisUrl, log);
  return new LocalBus();
}
