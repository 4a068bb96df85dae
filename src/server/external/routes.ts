import type { FastifyInstance } from 'fastify';
import { api } from '../../shared/api/index.js';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';
import { actorOf, checkOrgAdmin } from '../orgs/members-service.js';
import { checkRequestRecipient, doAnswerRequest, type RequestAction } from './requests.js';
import { doPatchOrgSettings, getOrgSettings } from './settings.js';

export function registerExternalRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  const x = api.external;

  router.add(x.getSettings, async ({ auth, params }) => {
    checkOrgAdmin(auth, params.id);
    return getOrgSettings(ctx, params.id);
  });

  router.add(x.patchSettings, async ({ auth, params, body, ip }) => {
    checkOrgAdmin(auth, params.id);
    return doPatchOrgSettings(ctx, params.id, body, actorOf(auth, ip));
  });

  const answers: [typeof x.accept, RequestAction][] = [
    [x.accept, 'accept'],
    [x.decline, 'decline'],
    [x.block, 'block'],
    [x.unblock, 'unblock'],
  ];
  for (const [route, action] of answers) {
    router.add(route, async ({ auth, params, ip }) => {
      const conv = await checkRequestRecipient(ctx, auth.user, params.id);
      return doAnswerRequest(ctx, auth.user, conv, action, ip);
    });
  }
}
