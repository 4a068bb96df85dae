import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { AppError } from './errors.js';

/** `1.2.3` → [1,2,3]; anything unparsable → null. */
export function parseVersion(v: string): number[] | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Cross-org endpoints answer 426 to clients older than the operator's minimum
 * (`parley client min-version set`). Clients say who they are with `Parley-Client: name/version`;
 * a client that does not say is treated as too old while a minimum is set.
 */
export async function checkClientVersion(ctx: AppContext, req: FastifyRequest): Promise<void> {
  const min = await ctx.settings.clientMinVersion();
  if (!min) return;
  const minV = parseVersion(min);
  if (!minV) return;
  const header = req.headers['parley-client'];
  const value = Array.isArray(header) ? header[0] : header;
  const version = value ? parseVersion(value.slice(value.lastIndexOf('/') + 1)) : null;
  if (!version || compareVersions(version, minV) < 0) {
    throw new AppError(
      426,
      'client_too_old',
      `This client is too old for messaging across organizations: version ${min} or newer is needed. Please update Parley.`,
      { minVersion: min },
    );
  }
}
