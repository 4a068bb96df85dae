import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  it('has the defaults of design.md when nothing is set', () => {
    const c = resolveConfig({}, {});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.databaseUrl).toBe(path.join(path.resolve('./data'), 'parley.db'));
    expect(c.redisUrl).toBeNull();
    expect(c.smtpUrl).toBeNull();
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.secureCookies).toBe(false);
    expect(c.logLevel).toBe('info');
    expect(c.dbPoolSize).toBe(10);
    expect(resolveConfig({}, { PARLEY_DB_POOL_SIZE: '40' }).dbPoolSize).toBe(40);
  });

  it('reads every setting of the "Running it" table from PARLEY_* variables', () => {
    const c = resolveConfig(
      {},
      {
        PARLEY_PORT: '9001',
        PARLEY_HOST: '0.0.0.0',
        PARLEY_DATA_DIR: '/srv/parley',
        PARLEY_DATABASE_URL: 'postgres://parley@db.internal/parley',
        PARLEY_REDIS_URL: 'redis://cache.internal:6379',
        PARLEY_SMTP_URL: 'smtp://mail.internal:25',
        PARLEY_PUBLIC_URL: 'https://chat.example.com/',
      },
    );
    expect(c).toMatchObject({
      port: 9001,
      host: '0.0.0.0',
      dataDir: '/srv/parley',
      databaseUrl: 'postgres://parley@db.internal/parley',
      redisUrl: 'redis://cache.internal:6379',
      smtpUrl: 'smtp://mail.internal:25',
      // The trailing slash goes so links can append paths.
      publicUrl: 'https://chat.example.com',
      secureCookies: true,
    });
  });

  it('lets flags win over variables for every setting', () => {
    const env = {
      PARLEY_PORT: '9001',
      PARLEY_HOST: '0.0.0.0',
      PARLEY_DATA_DIR: '/srv/env',
      PARLEY_DATABASE_URL: 'postgres://env@db/env',
      PARLEY_REDIS_URL: 'redis://env:6379',
      PARLEY_SMTP_URL: 'smtp://env:25',
      PARLEY_PUBLIC_URL: 'https://env.example.com',
    };
    const c = resolveConfig(
      {
        port: '9002',
        host: '::1',
        dataDir: '/srv/flag',
        databaseUrl: 'postgres://flag@db/flag',
        redisUrl: 'rediss://flag:6380',
        smtpUrl: 'smtps://flag:465',
        publicUrl: 'http://flag.example.com:9002',
      },
      env,
    );
    expect(c).toMatchObject({
      port: 9002,
      host: '::1',
      dataDir: '/srv/flag',
      databaseUrl: 'postgres://flag@db/flag',
      redisUrl: 'rediss://flag:6380',
      smtpUrl: 'smtps://flag:465',
      publicUrl: 'http://flag.example.com:9002',
      secureCookies: false,
    });
  });

  it('puts the SQLite database in the data dir and derives the public URL from host and port', () => {
    const c = resolveConfig({ dataDir: '/tmp/p1', port: 1234, host: '::1' }, {});
    expect(c.databaseUrl).toBe('/tmp/p1/parley.db');
    expect(c.publicUrl).toBe('http://[::1]:1234');
    // A data dir from the environment still places the database, unless a URL is given.
    expect(resolveConfig({}, { PARLEY_DATA_DIR: '/tmp/p2' }).databaseUrl).toBe('/tmp/p2/parley.db');
    expect(resolveConfig({ databaseUrl: '/tmp/else.db' }, { PARLEY_DATA_DIR: '/tmp/p2' }).databaseUrl).toBe('/tmp/else.db');
  });

  it('treats empty values as unset', () => {
    const c = resolveConfig({ redisUrl: '' }, { PARLEY_PORT: '', PARLEY_REDIS_URL: '', PARLEY_SMTP_URL: '', PARLEY_PUBLIC_URL: '' });
    expect(c.port).toBe(8080);
    expect(c.redisUrl).toBeNull();
    expect(c.smtpUrl).toBeNull();
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(resolveConfig({ port: '0' }, {}).port).toBe(0);
    expect(resolveConfig({ port: 65535 }, {}).port).toBe(65535);
  });

  it.each([
    [{ port: 'abc' }, {}, /port/i],
    [{ port: '70000' }, {}, /port/i],
    [{ port: 70000 }, {}, /port/i],
    [{ port: '-1' }, {}, /port/i],
    [{ port: '80.5' }, {}, /port/i],
    [{ port: '0x50' }, {}, /port/i],
    [{}, { PARLEY_PORT: 'abc' }, /port/i],
    [{ host: '999.1.1.1' }, {}, /invalid host/i],
    [{ host: 'bad host' }, {}, /invalid host/i],
    [{}, { PARLEY_HOST: 'chat..example' }, /invalid host/i],
    [{ host: '-x.example' }, {}, /invalid host/i],
    [{ redisUrl: 'http://cache:6379' }, {}, /redis/i],
    [{ redisUrl: 'cache:6379' }, {}, /redis/i],
    [{}, { PARLEY_REDIS_URL: 'localhost' }, /redis/i],
    [{ smtpUrl: 'http://mail:25' }, {}, /smtp/i],
    [{ smtpUrl: 'mail.example.com' }, {}, /smtp/i],
    [{ publicUrl: 'ftp://chat.example.com' }, {}, /public url/i],
    [{ publicUrl: 'chat.example.com' }, {}, /public url/i],
    [{ publicUrl: 'http://' }, {}, /public url/i],
    [{}, { PARLEY_PUBLIC_URL: 'javascript:alert(1)' }, /public url/i],
    [{ databaseUrl: 'mysql://db/parley' }, {}, /database url/i],
    [{ databaseUrl: 'postgres://' }, {}, /database url/i],
    [{ logLevel: 'loud' }, {}, /log level/i],
    [{}, { PARLEY_MAX_FILE_BYTES: 'lots' }, /file size/i],
    [{}, { PARLEY_MAX_FILE_BYTES: '-5' }, /file size/i],
    [{}, { PARLEY_DB_POOL_SIZE: 'many' }, /pool size/i],
    [{}, { PARLEY_DB_POOL_SIZE: '4' }, /pool size/i],
    [{}, { PARLEY_DB_POOL_SIZE: '7.5' }, /pool size/i],
  ])('refuses %j %j with a ConfigError', (flags, env, message) => {
    let caught: unknown;
    try {
      resolveConfig(flags, env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
    // One line, fit for stderr.
    expect((caught as Error).message).not.toContain('\n');
  });

  it('accepts IP addresses and host names to listen on', () => {
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'chat.example.com', 'node-2.internal', '10.0.0.1']) {
      expect(resolveConfig({ host }, {}).host).toBe(host);
    }
  });

  it('accepts the SQLite forms: a path, sqlite: and :memory:', () => {
    expect(resolveConfig({ databaseUrl: 'relative/parley.db' }, {}).databaseUrl).toBe('relative/parley.db');
    expect(resolveConfig({ databaseUrl: 'sqlite:/tmp/x.db' }, {}).databaseUrl).toBe('sqlite:/tmp/x.db');
    expect(resolveConfig({ databaseUrl: ':memory:' }, {}).databaseUrl).toBe(':memory:');
    expect(resolveConfig({ databaseUrl: 'postgresql://u@h/d' }, {}).databaseUrl).toBe('postgresql://u@h/d');
  });
});
