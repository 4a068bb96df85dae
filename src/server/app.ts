import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { SESSION_COOKIE } from './accounts/sessions.js';
import type { AppContext } from './context.js';
import { databaseUnavailable } from './db/errors.js';
import { installClientJsonParser } from './http/client-json.js';
import { handleClientError, handleFrameworkError, installErrorHandling } from './http/error-handler.js';
import { AppError } from './http/errors.js';
import { buildOpenApi, type PathItem } from './http/openapi.js';
import { cookieOnly, sameOrigin } from './http/origin.js';
import { requestLoggerFactory } from './http/request-logger.js';
import { Router } from './http/router.js';
import { EVENTS_PATH, websocketPluginHooks } from './realtime/routes.js';
import { registerDomainRoutes } from './routes.js';
import { PARLEY_VERSION } from './version.js';

/**
 * Largest WebSocket frame a client may send. Typing and signalling frames are tiny; the largest is
 * a `message.send` of a 16 KiB body, which JSON may escape to six times its size (a control
 * character is `\u0001`), about 100 KiB with the rest of the frame.
 */
export const MAX_WS_FRAME = 128 * 1024;
/** How long /healthz waits for the database before it answers 503. */
const HEALTH_TIMEOUT_MS = 2000;

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** The endpoints registered here rather than through the router, for the OpenAPI document. */
const NON_JSON_ENDPOINTS: Record<string, PathItem> = {
  '/healthz': {
    get: {
      summary: 'Liveness: answers when the node can reach its database',
      tags: ['operations'],
      parameters: [],
      responses: {
        '200': {
          description: 'Alive',
          content: {
            'application/json': {
              schema: { type: 'object', required: ['ok', 'version'], properties: { ok: { type: 'boolean' }, version: { type: 'string' } } },
            },
          },
        },
        '503': errorResponse('Shutting down'),
        default: errorResponse('The database cannot be reached'),
      },
    },
  },
  '/metrics': {
    get: {
      summary: "This node's figures in the Prometheus text format",
      tags: ['operations'],
      parameters: [],
      responses: { '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
  [EVENTS_PATH]: {
    get: {
      summary: 'The WebSocket of server events (JSON text frames); authenticate with the session cookie, a Bearer token or ?token=',
      tags: ['realtime'],
      parameters: [{ name: 'token', in: 'query', required: false, schema: { type: 'string' } }],
      responses: {
        '101': { description: 'Switching to the WebSocket protocol' },
        '401': errorResponse('Not signed in'),
        '426': errorResponse('Not a WebSocket upgrade request'),
      },
    },
  },
};

/** Builds the HTTP application of one node (not yet listening). */
export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    trustProxy: false,
    // Ids and tokens are short; a giant URL is an attack, not a request.
    routerOptions: { maxParamLength: 200 },
    // Per-request access logs would dominate the log at chat rates; /metrics counts requests.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLoggerFactory,
    // A URL that does not decode (`/%E0%A4%A`) is refused before routing; answer it in our JSON.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    // Requests that arrive while the node is closing get the contract's JSON 503 (below), not
    // Fastify's own body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  installErrorHandling(app);
  installClientJsonParser(app);

  // The session cookie is SameSite=Lax, which stops other sites but not sibling subdomains (they
  // are the same "site"). A state-changing request that carries only the cookie must therefore
  // come from a page of this deployment; API clients send a bearer token and are not affected.
  // The hooks every request runs are callback-style: an async hook costs a promise and a
  // microtask turn per request, a measurable share of a message sent over POST.
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || !cookieOnly(req, SESSION_COOKIE) || sameOrigin(ctx, req)) return done();
    done(new AppError(403, 'forbidden', 'Cross-site request refused: send it from the Parley web client or with a bearer token'));
  });
  closeKeepAliveOnShutdown(app);

  // Label sets are made once per (method, route template, status), so the metrics key them once.
  const labelSets = new Map<string, { request: { method: string; route: string; status: string }; route: { route: string } }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const id = `${req.method} ${reply.statusCode} ${route}`;
    let labels = labelSets.get(id);
    if (!labels) labelSets.set(id, (labels = { request: { method: req.method, route, status: String(reply.statusCode) }, route: { route } }));
    ctx.metrics.httpRequests.inc(labels.request);
    ctx.metrics.httpDuration.observe(reply.elapsedTime / 1000, labels.route);
    done();
  });

  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_FRAME }, ...websocketPluginHooks });

  app.get('/healthz', async () => {
    // A load balancer asks this to route around a node: a database that stalls must make it
    // fail in a moment, not hang for as long as the stall lasts.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(databaseUnavailable()), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([ctx.db.selectFrom('deployment_settings').select('key').limit(1).execute(), late]);
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, version: PARLEY_VERSION };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return ctx.metrics.render();
  });

  const router = new Router(app, ctx);
  registerDomainRoutes(router, ctx, app);

  let openapi: unknown = null;
  app.get('/api/v1/openapi.json', async () => (openapi ??= buildOpenApi(router.routes, PARLEY_VERSION, NON_JSON_ENDPOINTS)));

  await serveWebClient(app, ctx.config.webDir);
  return app;
}

/**
 * At shutdown Node stops listening and closes the keep-alive connections idle at that moment,
 * but a connection whose request is still in flight (a slow upload, a long download) would then
 * stay open as keep-alive after its answer, and the process would wait for the client to hang
 * up. So answers given while closing say `Connection: close`, and connections that fall idle
 * during the shutdown are closed as soon as they do. A request that arrives once closing has
 * begun (while WebSockets are told 1001) is answered 503 so the client retries elsewhere.
 */
function closeKeepAliveOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('onRequest', (_req, _reply, done) => {
    done(closing ? new AppError(503, 'service_unavailable', 'This server is shutting down; please retry', {}, { 'retry-after': '1' }) : undefined);
  });
  app.addHook('preClose', (done) => {
    closing = true;
    if (app.server.listening) {
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      sweep.unref();
      app.server.once('close', () => clearInterval(sweep));
    }
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** Serves the built web client at `/`, with index.html for client-side routes. */
async function serveWebClient(app: FastifyInstance, webDir: string | null): Promise<void> {
  if (!webDir) return;
  const index = path.join(webDir, 'index.html');
  if (!existsSync(index)) {
    app.log.warn({ webDir }, 'web client not built (npm run build:web); serving the API only');
    return;
  }
  const html = readFileSync(index, 'utf8');
  await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: false });
  const sendIndex = async (_req: unknown, reply: FastifyReply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  app.get('/', sendIndex);
  // Client-side routes (/chat/…, /admin/…) load the app; API paths keep their JSON 404.
  app.get('/*', async (req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    if (url === '/api' || url.startsWith('/api/') || path.extname(url)) {
      return reply.code(404).send({ error: { code: 'route_not_found', message: `No route GET ${url}` } });
    }
    return sendIndex(req, reply);
  });
}
