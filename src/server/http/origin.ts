import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/**
 * Whether a request comes from a page of this deployment: no Origin (not a browser: it has no
 * ambient cookies to abuse), the public URL's origin, or the origin of the Host it was sent to
 * (a dev proxy or a public URL configured differently from how people reach the node).
 */
export function sameOrigin(ctx: AppContext, req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  if (o.origin === new URL(ctx.config.publicUrl).origin) return true;
  return typeof req.headers.host === 'string' && o.host === req.headers.host.toLowerCase();
}

/**
 * True when the session would come from the cookie (a browser's ambient credential): exactly
 * when `requestToken` takes it, so the two cannot disagree. An empty Authorization header counts
 * as none, and a cookie name is trimmed as the cookie parser trims it. Reads the raw header, so
 * it works before the cookie plugin has parsed it.
 */
export function cookieOnly(req: FastifyRequest, cookieName: string): boolean {
  if (req.headers.authorization) return false;
  const raw = req.headers.cookie ?? '';
  return raw.split(';').some((part) => {
    const eq = part.indexOf('=');
    return eq > 0 && part.slice(0, eq).trim() === cookieName;
  });
}
