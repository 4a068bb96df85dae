import type { FastifyInstance, FastifyReply } from 'fastify';
import { api } from '../../shared/api/index.js';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';
import { checkMembership, checkSendTarget } from './access.js';
import { doAddMembers, doCreateGroup, doRemoveMember, doRenameGroup } from './groups.js';
import { doDeleteMessage, doEditMessage, doMarkRead, doSendMessage, listMessages } from './messages.js';
import { doStartDirectChat, getConversationFor, listConversationsFor, viewerOf } from './service.js';
import { messageWriter } from './writer.js';

/**
 * Answers with a status chosen at run time (200 for "already there", 201 for "made now"): the
 * router would otherwise apply the route's one success status.
 */
function answer<T>(reply: FastifyReply, status: number, body: T): T {
  void reply.code(status).send(body);
  return body;
}

export function registerConversationsRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  // Made at start-up so that its shutdown hook runs before the database closes.
  messageWriter(ctx);
  const c = api.conversations;
  const m = api.messages;

  router.add(c.startDirect, async ({ auth, body, reply, ip }) => {
    const r = await doStartDirectChat(ctx, auth.user, body.email, body.invite ?? false, ip);
    return answer(reply, r.created ? 201 : 200, r.conversation);
  });

  router.add(c.create, async ({ auth, body }) => doCreateGroup(ctx, auth.user, body));

  router.add(c.list, async ({ auth, query }) => listConversationsFor(ctx, viewerOf(auth.user), query));

  router.add(c.get, async ({ auth, params }) => getConversationFor(ctx, viewerOf(auth.user), params.id));

  router.add(c.update, async ({ auth, params, body }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return doRenameGroup(ctx, auth.user, conv, body.title);
  });

  router.add(c.addMembers, async ({ auth, params, body }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return doAddMembers(ctx, auth.user, conv, body.userIds);
  });

  router.add(c.removeMember, async ({ auth, params }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    await doRemoveMember(ctx, auth.user, conv, params.userId);
    return { ok: true as const };
  });

  router.add(c.leave, async ({ auth, params }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    await doRemoveMember(ctx, auth.user, conv, auth.user.id);
    return { ok: true as const };
  });

  router.add(m.list, async ({ auth, params, query }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return listMessages(ctx, conv, query);
  });

  router.add(m.send, async ({ auth, params, body, reply }) => {
    const { conv, other } = await checkSendTarget(ctx, params.id, auth.user.id);
    const r = await doSendMessage(ctx, auth.user, conv, body, other);
    return answer(reply, r.created ? 201 : 200, r.message);
  });

  router.add(m.edit, async ({ auth, params, body }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return doEditMessage(ctx, auth.user, conv, params.messageId, body.body);
  });

  router.add(m.remove, async ({ auth, params }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return doDeleteMessage(ctx, auth.user, conv, params.messageId);
  });

  router.add(m.read, async ({ auth, params, body }) => {
    const conv = await checkMembership(ctx.db, params.id, auth.user.id);
    return doMarkRead(ctx, auth.user, conv, body.seq);
  });
}
