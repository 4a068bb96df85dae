import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RouteDef } from '../../shared/api/define.js';
import { findSession, SESSION_COOKIE, type AuthInfo } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { AppError, badRequest, unauthenticated } from './errors.js';
import { checkClientVersion } from './client-version.js';

export interface HandlerArgs<D extends RouteDef> {
  // NonNullable: the def's fields are optional, so `D['body']` is `B | undefined`.
  params: NonNullable<D['params']> extends z.ZodType ? z.output<NonNullable<D['params']>> : undefined;
  query: NonNullable<D['query']> extends z.ZodType ? z.output<NonNullable<D['query']>> : undefined;
  body: NonNullable<D['body']> extends z.ZodType ? z.output<NonNullable<D['body']>> : undefined;
  /** The signed-in user; throws `unauthenticated` on routes where signing in is optional. */
  auth: AuthInfo;
  maybeAuth: AuthInfo | null;
  ip: string;
  req: FastifyRequest;
  reply: FastifyReply;
}

type Output<D extends RouteDef> = z.input<D['response']>;

export type Handler<D extends RouteDef> = (args: HandlerArgs<D>) => Promise<Output<D>>;

/** Parses a request part with its schema; a mismatch is a 400 `invalid_request` naming the field. */
export function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 20).map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw badRequest(`Invalid ${where}: ${issues[0]?.message ?? 'bad value'}${issues[0] ? ` (${issues[0].path})` : ''}`, issues);
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The bearer token, else the session cookie. */
export function requestToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1]! : null;
  }
  return req.cookies?.[SESSION_COOKIE] ?? null;
}

export async function authenticate(ctx: AppContext, req: FastifyRequest): Promise<AuthInfo | null> {
  const token = requestToken(req);
  return token ? findSession(ctx.db, token) : null;
}

/**
 * A thin handler's frame: authenticate → validate (the route's schemas) → handler (authorize,
 * call the service, present). Errors thrown anywhere reach the one error handler.
 */
export class Router {
  /** Every route registered, for the OpenAPI document. */
  readonly routes: RouteDef[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly ctx: AppContext,
  ) {}

  add<D extends RouteDef>(def: D, handler: Handler<D>): void {
    this.routes.push(def);
    const ctx = this.ctx;
    const authMode = def.auth ?? 'required';
    this.app.route({
      method: def.method,
      url: def.path,
      handler: async (req, reply) => {
        const auth = authMode === 'none' ? null : await authenticate(ctx, req);
        if (authMode === 'required' && !auth) throw unauthenticated();
        if (def.crossOrg) await checkClientVersion(ctx, req);
        const params = validate(def.params, req.params, 'params');
        const query = validate(def.query, req.query, 'query');
        // Fastify also parses text/plain; a JSON route must not take a string for its body.
        // A request without any body is left to the schema (optional bodies stay optional).
        if (def.body && hasBody(req) && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
          throw new AppError(415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json');
        }
        const body = def.body ? validate(def.body, req.body, 'body') : undefined;
        const args = {
          params,
          query,
          body,
          get auth(): AuthInfo {
            if (!auth) throw unauthenticated();
            return auth;
          },
          maybeAuth: auth,
          ip: req.ip,
          req,
          reply,
        } as HandlerArgs<D>;
        const result = await handler(args);
        if (reply.sent) return reply;
        reply.code(def.status ?? 200);
        return result;
      },
    });
  }
}
