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
}

export class ConfigError extends Error {}

function parsePort(v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`Invalid port: ${String(v)} (expected 0-65535)`);
  return n;
}

/** Flags win over environment variables, which win over defaults. */
export function resolveConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = parsePort(flags.port ?? env.PARLEY_PORT ?? 8080);
  const host = flags.host ?? env.PARLEY_HOST ?? '127.0.0.1';
  const dataDir = path.resolve(flags.dataDir ?? env.PARLEY_DATA_DIR ?? './data');
  const databaseUrl = flags.databaseUrl ?? env.PARLEY_DATABASE_URL ?? path.join(dataDir, 'parley.db');
  const redisUrl = flags.redisUrl ?? env.PARLEY_REDIS_URL ?? null;
  const smtpUrl = flags.smtpUrl ?? env.PARLEY_SMTP_URL ?? null;
  const publicUrl = (flags.publicUrl ?? env.PARLEY_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) throw new ConfigError(`Invalid public URL: ${publicUrl}`);
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError(`Invalid Redis URL: ${redisUrl}`);
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError(`Invalid SMTP URL: ${smtpUrl}`);
  const maxFileBytes = flags.maxFileBytes ?? (env.PARLEY_MAX_FILE_BYTES ? Number(env.PARLEY_MAX_FILE_BYTES) : 2 * 1024 ** 3);
  if (!Number.isFinite(maxFileBytes) || maxFileBytes <= 0) throw new ConfigError('Invalid maximum file size');
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    smtpUrl,
    publicUrl,
    webDir: flags.webDir === undefined ? defaultWebDir() : flags.webDir,
    logLevel: flags.logLevel ?? env.PARLEY_LOG_LEVEL ?? 'info',
    bodyLimit: 1024 * 1024,
    maxFileBytes,
    secureCookies: publicUrl.startsWith('https://'),
  };
}

function defaultWebDir(): string {
  // dist/server/config.js and src/server/config.ts both sit two levels below the package root.
  return path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');
}
