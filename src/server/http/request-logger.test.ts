import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { requestLoggerFactory } from './request-logger.js';

describe('request logger', () => {
  it('is bound to the request only when the request logs, and then carries its id', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const app = Fastify({ loggerInstance: log, childLoggerFactory: requestLoggerFactory, logController: new LogController({ disableRequestLogging: true }) });
    app.get('/quiet', async () => 'ok');
    app.get('/loud', async (req) => {
      expect(req.log.level).toBe('info');
      req.log.debug('below the level');
      req.log.warn({ n: 1 }, 'something happened');
      return 'ok';
    });
    await app.ready();
    const child = vi.spyOn(log, 'child');
    try {
      expect((await app.inject('/quiet')).statusCode).toBe(200);
      expect(child).not.toHaveBeenCalled();
      expect(lines).toEqual([]);

      expect((await app.inject('/loud')).statusCode).toBe(200);
      expect(child).toHaveBeenCalledTimes(1);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: 'something happened', n: 1, reqId: expect.any(String) });
    } finally {
      await app.close();
    }
  });
});
