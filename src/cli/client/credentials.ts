import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `parley login` remembers: the server and the session token. */
export interface Credentials {
  server: string;
  token: string;
  email: string;
  userId: string;
}

/** `$PARLEY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/parley`, else `~/.config/parley`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PARLEY_CONFIG_DIR) return path.resolve(env.PARLEY_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(os.homedir(), '.config');
  return path.join(base, 'parley');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'credentials.json');
}

/**
 * A saved session that exists but cannot be used: it cannot be read (its mode, its owner), or it
 * is not what `parley login` writes (edited by hand, cut short by a full disk).
 */
export class DamagedCredentialsError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`The saved session in ${file} is unreadable (${detail})`);
    this.name = 'DamagedCredentialsError';
  }
}

/** The saved session; null when there is none; a `DamagedCredentialsError` when it is unusable. */
export function readCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | null {
  const file = credentialsPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DamagedCredentialsError(file, code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'read error'));
  }
  let c: Partial<Credentials>;
  try {
    c = JSON.parse(text) as Partial<Credentials>;
  } catch {
    throw new DamagedCredentialsError(file, 'not valid JSON');
  }
  if (!c || typeof c !== 'object' || typeof c.server !== 'string' || typeof c.token !== 'string') {
    throw new DamagedCredentialsError(file, 'no server or session token in it');
  }
  return { server: c.server, token: c.token, email: typeof c.email === 'string' ? c.email : '', userId: typeof c.userId === 'string' ? c.userId : '' };
}

/** Written with mode 0600 (the token is a password): created that way, and fixed if it was not. */
export function writeCredentials(c: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsPath(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function removeCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsPath(env);
  try {
    rmSync(file);
    return true;
  } catch {
    return false;
  }
}
