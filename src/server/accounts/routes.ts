import type { FastifyInstance, FastifyReply } from 'fastify';
import { api } from '../../shared/api/index.js';
import type { AppContext } from '../context.js';
import { externalCapability } from '../external/capability.js';
import type { Router } from '../http/router.js';
import { getOrgRow, listOrgDomains, presentOrg } from '../orgs/store.js';
import { doLogin, doLogout } from './login-service.js';
import { doConfirmPasswordReset, doRequestPasswordReset } from './reset-service.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from './sessions.js';
import { doSignup, doVerifySignup } from './signup-service.js';
import { presentUser } from './store.js';

function cookieOptions(ctx: AppContext) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: ctx.config.secureCookies };
}

function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(ctx), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
}

export function registerAccountsRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  router.add(api.auth.signup, async ({ body }) => {
    const r = await doSignup(ctx, body);
    return { ok: true as const, verificationSent: r.verificationSent };
  });

  router.add(api.auth.verify, async ({ body, ip }) => {
    const { user, setPasswordToken } = await doVerifySignup(ctx, body.token, { ip });
    return { user: presentUser(user), ...(setPasswordToken ? { setPasswordToken } : {}) };
  });

  router.add(api.auth.login, async ({ body, ip, req, reply }) => {
    const { token, user } = await doLogin(ctx, body, { ip, userAgent: req.headers['user-agent'] ?? null });
    setSessionCookie(ctx, reply, token);
    return { token, user: presentUser(user) };
  });

  router.add(api.auth.logout, async ({ auth, reply }) => {
    await doLogout(ctx, auth.sessionId);
    // The signed-out device's WebSockets close now too (see Gateway.endSessions).
    ctx.events.publish([auth.user.id], { type: 'session.ended', sessionIds: [auth.sessionId] });
    reply.clearCookie(SESSION_COOKIE, cookieOptions(ctx));
    return { ok: true as const };
  });

  router.add(api.auth.passwordReset, async ({ body }) => {
    await doRequestPasswordReset(ctx, body.email);
    return { ok: true as const };
  });

  router.add(api.auth.passwordResetConfirm, async ({ body, ip }) => {
    await doConfirmPasswordReset(ctx, body, { ip });
    return { ok: true as const };
  });

  router.add(api.auth.me, async ({ auth }) => {
    const org = await getOrgRow(ctx.db, auth.user.org_id);
    if (!org) throw new Error(`user ${auth.user.id} has no org`);
    return {
      user: presentUser(auth.user),
      org: presentOrg(org, await listOrgDomains(ctx.db, org.id)),
      capabilities: { externalMessaging: await externalCapability(ctx, org) },
    };
  });
}
