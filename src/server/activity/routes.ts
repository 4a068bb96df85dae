import type { FastifyInstance } from 'fastify';
import { api } from '../../shared/api/index.js';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';
import { listActivity } from './service.js';

export function registerActivityRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  router.add(api.activity.feed, async ({ auth, query }) => listActivity(ctx, auth.user, query));
}
