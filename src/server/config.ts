import { isIP } from 'node:net';
import path from 'node:path';

/** Settings of one node, from flags or environment variables (design.md, "Running it"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  redisUrl: string | null;
  smtpUrl: string | null;
  publicUrl: string;
  /** Directory of the built web client; served at `/` when present. */
  webDir: string | null;
  logLevel: string;
  /** Largest JSON body accepted (bytes). */
  bodyLimit: number;
  /** Largest file accepted by the deployment, whatever orgs allow (bytes). */
  maxFileBytes: number;
  /** Cookies marked Secure when the public URL is https. */
  secureCookies: boolean;
  /** PostgreSQL connections this node may open (SQLite has one). */
  dbPoolSize: number;
}

export interface ConfigInput {
  port?: string | number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  redisUrl?: string;
  smtpUrl?: string;
  publicUrl?: string;
  webDir?: string | null;
  logLevel?: string;
  maxFileBytes?: number;
  dbPoolSize?: number;
}

/** A setting the operator got wrong; `parley serve` reports it in one line and exits with 2. */
export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The first value that is set. An empty string counts as unset, so `PARLEY_REDIS_URL=` in a
 * service file means "no Redis" rather than "a Redis at ''".
 */
function pick<T extends string | number>(...values: (T | undefined | null)[]): T | undefined {
  for (const v of values) if (v !== undefined && v !== null && v !== '') return v;
  return undefined;
}

function parsePort(v: string | number): number {
  // Digits only: Number() would also take '0x50', '1e3' or ' 80 ', which nobody means as a port.
  const n = typeof v === 'number' ? v : /^\d{1,5}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`Invalid port: ${String(v)} (expected a number from 0 to 65535)`);
  return n;
}

/** A URL with one of `protocols` and a host, or a ConfigError naming the setting. */
function checkUrl(what: string, value: string, protocols: string[], example: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || !protocols.includes(url.protocol) || !url.hostname) {
    throw new ConfigError(`Invalid ${what}: ${value} (expected ${example})`);
  }
  return value;
}

/**
 * A database URL is postgres://…, or SQLite: a file path, `sqlite:<path>` or `:memory:`. Any
 * other scheme (mysql://, http://) is a mistake, not a file name to create.
 */
function checkDatabaseUrl(value: string): string {
  if (/^postgres(ql)?:\/\//i.test(value)) return checkUrl('database URL', value, ['postgres:', 'postgresql:'], 'postgres://user@host/db or a SQLite file path');
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(value) && !/^sqlite:/i.test(value)) {
    throw new ConfigError(`Invalid database URL: ${value} (expected postgres://user@host/db or a SQLite file path)`);
  }
  return value;
}

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * The address to listen on: an IP address or a host name. Dotted numbers that are no IPv4
 * address (999.1.1.1) are refused here, by name, rather than as a public URL made from them.
 */
function checkHost(host: string): string {
  if (isIP(host)) return host;
  const labels = host.split('.');
  const name = host.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
  if (!name) throw new ConfigError(`Invalid host: ${host} (expected an IP address or a host name)`);
  return host;
}

/** A service URL as it may be printed or logged: without its password. */
export function redactUrl(url: string, fallback = 'the configured URL'): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return fallback;
  }
}

/** Flags win over environment variables, which win over defaults. */
export function resolveConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = parsePort(pick(flags.port, env.PARLEY_PORT) ?? 8080);
  const host = checkHost(pick(flags.host, env.PARLEY_HOST) ?? '127.0.0.1');
  const dataDir = path.resolve(pick(flags.dataDir, env.PARLEY_DATA_DIR) ?? './data');
  const databaseUrl = checkDatabaseUrl(pick(flags.databaseUrl, env.PARLEY_DATABASE_URL) ?? path.join(dataDir, 'parley.db'));
  const redisUrl = pick(flags.redisUrl, env.PARLEY_REDIS_URL) ?? null;
  if (redisUrl) checkUrl('Redis URL', redisUrl, ['redis:', 'rediss:'], 'redis://host:6379');
  const smtpUrl = pick(flags.smtpUrl, env.PARLEY_SMTP_URL) ?? null;
  if (smtpUrl) checkUrl('SMTP URL', smtpUrl, ['smtp:', 'smtps:'], 'smtp://host:25');
  const publicUrl = (pick(flags.publicUrl, env.PARLEY_PUBLIC_URL) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  checkUrl('public URL', publicUrl, ['http:', 'https:'], 'http(s)://host[:port]');
  const logLevel = pick(flags.logLevel, env.PARLEY_LOG_LEVEL) ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`Invalid log level: ${logLevel} (expected one of ${LOG_LEVELS.join(', ')})`);
  const rawMax = pick<string | number>(flags.maxFileBytes, env.PARLEY_MAX_FILE_BYTES);
  const maxFileBytes = rawMax === undefined ? 2 * 1024 ** 3 : Number(rawMax);
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes <= 0) throw new ConfigError(`Invalid maximum file size: ${String(rawMax)} (expected a number of bytes)`);
  const rawPool = pick<string | number>(flags.dbPoolSize, env.PARLEY_DB_POOL_SIZE);
  const dbPoolSize = rawPool === undefined ? 10 : Number(rawPool);
  // A group change holds one connection for its lock and needs another for its writes, and up to
  // three run at once: fewer than 5 could leave every connection waiting on another.
  if (!Number.isInteger(dbPoolSize) || dbPoolSize < 5 || dbPoolSize > 1000) {
    throw new ConfigError(`Invalid database pool size: ${String(rawPool)} (expected a whole number from 5 to 1000)`);
  }
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    smtpUrl,
    publicUrl,
    webDir: flags.webDir === undefined ? defaultWebDir() : flags.webDir,
    logLevel,
    bodyLimit: 1024 * 1024,
    maxFileBytes,
    secureCookies: publicUrl.startsWith('https://'),
    dbPoolSize,
  };
}

function defaultWebDir(): string {
  // dist/server/config.js and src/server/config.ts both sit two levels below the package root.
  return path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');
}
