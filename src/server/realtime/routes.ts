import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { WS_CLOSE } from '../../shared/events.js';
import { findSession, SESSION_COOKIE, type AuthInfo } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { AppError, forbidden, unauthenticated } from '../http/errors.js';
import { sameOrigin } from '../http/origin.js';
import { requestToken, type Router } from '../http/router.js';
import { handleSendFrame, mayType } from '../conversations/frames.js';
import { Gateway } from './gateway.js';
import { defaultGatewayOptions } from './options.js';

export const EVENTS_PATH = '/api/v1/events';

const gateways = new WeakMap<AppContext, Gateway>();

/** The gateway of a node (tests drive heartbeat rounds through it). */
export function gatewayOf(ctx: AppContext): Gateway {
  const gw = gateways.get(ctx);
  if (!gw) throw new Error('realtime gateway not registered');
  return gw;
}

export function registerRealtimeRoutes(_router: Router, ctx: AppContext, app: FastifyInstance): void {
  const gw = new Gateway(ctx, defaultGatewayOptions());
  gateways.set(ctx, gw);
  gw.handle('message.send', (auth, connectionId, frame, turn) => handleSendFrame(ctx, auth, connectionId, frame, turn));
  gw.mayType = (conversationId, userId) => mayType(ctx, conversationId, userId);
  gw.start();
  ctx.lifecycle.onClose(() => gw.stop());

  const authed = new WeakMap<FastifyRequest, { auth: AuthInfo; token: string }>();

  app.route({
    method: 'GET',
    url: EVENTS_PATH,
    // Runs before the upgrade completes, so a bad token gets a plain 401 and never a 101.
    preValidation: async (req: FastifyRequest) => {
      // A browser sends the session cookie with an upgrade started by any site's page, so a
      // cookie alone proves nothing about who opened the socket (cross-site WebSocket
      // hijacking). Cookie-authenticated upgrades must come from our own origin; a Bearer
      // header or ?token= is something a foreign page cannot send without the token itself.
      // An empty Authorization header is none, as `requestToken` takes it.
      const cookieOnly = !req.headers.authorization;
      const crossSite = cookieOnly && !sameOrigin(ctx, req);
      let token = crossSite ? null : requestToken(req);
      let auth = token ? await findSession(ctx.db, token) : null;
      // An Authorization header is the client's explicit choice of credential, as on every other
      // endpoint: a bad one is refused rather than passed over for a ?token= in the URL.
      if (!auth && cookieOnly) {
        // Browsers' WebSocket cannot set headers; they may pass the token in the URL.
        const q = (req.query ?? {}) as { token?: unknown };
        token = typeof q.token === 'string' && q.token ? q.token : null;
        if (token) auth = await findSession(ctx.db, token);
      }
      if (!auth && crossSite && req.cookies?.[SESSION_COOKIE]) {
        throw forbidden('A WebSocket authenticated by the session cookie must be opened from this site');
      }
      if (!auth || !token) throw unauthenticated('Sign in first: send the session cookie, a Bearer token or ?token=');
      authed.set(req, { auth, token });
    },
    handler: async (_req: FastifyRequest, _reply: FastifyReply) => {
      throw new AppError(426, 'upgrade_required', `${EVENTS_PATH} is a WebSocket endpoint; connect with a WebSocket client`);
    },
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      const a = authed.get(req);
      // The plugin keeps the request alive as long as the socket: do not keep the user row too.
      authed.delete(req);
      if (!a) {
        socket.close(WS_CLOSE.sessionEnded, 'not authenticated');
        return;
      }
      gw.attach(socket, a.auth, a.token);
    },
  });
}

/**
 * Hooks for the WebSocket plugin (src/server/app.ts). At shutdown every socket is told 1001
 * ("going away") so clients reconnect elsewhere; a client that does not answer the close within
 * a second is cut off so shutdown never hangs on it.
 */
export const websocketPluginHooks = {
  preClose(this: FastifyInstance, done: () => void): void {
    const open = [...this.websocketServer.clients].filter((ws) => ws.readyState !== ws.CLOSED);
    if (open.length === 0) return done();
    let left = open.length;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(t);
      for (const ws of open) if (ws.readyState !== ws.CLOSED) ws.terminate();
      done();
    };
    const t = setTimeout(finish, 1000);
    t.unref();
    for (const ws of open) {
      ws.once('close', () => {
        if (--left === 0) finish();
      });
      ws.close(WS_CLOSE.goingAway, 'server shutting down');
    }
  },
  /**
   * Errors on an open socket: a client fault (oversized frame, bad framing, reset) is not a
   * server error. `ws` has already started the right close (1009 for a frame past the limit).
   */
  errorHandler(this: FastifyInstance, error: Error, socket: WebSocket): void {
    this.log.debug({ err: error }, 'websocket error');
    if (socket.readyState === socket.OPEN) socket.close(1011, 'server error');
  },
};
