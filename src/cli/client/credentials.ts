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

export function readCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | null {
  let text: string;
  try {
    text = readFileSync(credentialsPath(env), 'utf8');
  } catch {
    return null;
  }
  try {
    const c = JSON.parse(text) as Partial<Credentials>;
    if (typeof c.server === 'string' && typeof c.token === 'string') {
      return { server: c.server, token: c.token, email: c.email ?? '', userId: c.userId ?? '' };
    }
  } catch {
    // A damaged file is the same as none: the user logs in again.
  }
  return null;
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
