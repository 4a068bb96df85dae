import type { FastifyInstance } from 'fastify';
import { api } from '../../shared/api/index.js';
import { listOrgAudit } from '../audit/service.js';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';
import {
  actorOf,
  checkOrgAdmin,
  checkOrgMember,
  checkOrgUser,
  doCreateOrgUser,
  doDeactivateUser,
  doDeleteUser,
  doReactivateUser,
  doSetUserRole,
  listUsersOfOrg,
} from './members-service.js';
import { getOrgDetails } from './org-service.js';

export function registerOrgsRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  const r = api.orgs;

  router.add(r.get, async ({ auth, params }) => {
    checkOrgMember(auth, params.id);
    return { org: await getOrgDetails(ctx.db, params.id) };
  });

  router.add(r.listUsers, async ({ auth, params, query }) => {
    checkOrgAdmin(auth, params.id);
    return listUsersOfOrg(ctx, params.id, query);
  });

  router.add(r.createUser, async ({ auth, params, body, ip }) => {
    checkOrgAdmin(auth, params.id);
    return { user: await doCreateOrgUser(ctx, params.id, body, actorOf(auth, ip)) };
  });

  router.add(r.deactivateUser, async ({ auth, params, ip }) => {
    checkOrgAdmin(auth, params.id);
    const user = await checkOrgUser(ctx, params.id, params.uid);
    return { user: await doDeactivateUser(ctx, { orgId: params.id, userId: user.id }, actorOf(auth, ip)) };
  });

  router.add(r.reactivateUser, async ({ auth, params, ip }) => {
    checkOrgAdmin(auth, params.id);
    const user = await checkOrgUser(ctx, params.id, params.uid);
    return { user: await doReactivateUser(ctx, { orgId: params.id, userId: user.id }, actorOf(auth, ip)) };
  });

  router.add(r.deleteUser, async ({ auth, params, ip }) => {
    checkOrgAdmin(auth, params.id);
    const user = await checkOrgUser(ctx, params.id, params.uid);
    return { user: await doDeleteUser(ctx, { orgId: params.id, userId: user.id }, actorOf(auth, ip)) };
  });

  router.add(r.setUserRole, async ({ auth, params, body, ip }) => {
    checkOrgAdmin(auth, params.id);
    const user = await checkOrgUser(ctx, params.id, params.uid);
    return { user: await doSetUserRole(ctx, { orgId: params.id, userId: user.id }, body.role, actorOf(auth, ip)) };
  });

  router.add(r.audit, async ({ auth, params, query }) => {
    checkOrgAdmin(auth, params.id);
    return listOrgAudit(ctx.db, params.id, query);
  });
}
