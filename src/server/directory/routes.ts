import type { FastifyInstance } from 'fastify';
import { api } from '../../shared/api/index.js';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';
import { checkLookupRate, searchDirectory } from './service.js';

export function registerDirectoryRoutes(router: Router, ctx: AppContext, _app: FastifyInstance): void {
  router.add(api.directory.search, async ({ auth, query }) => {
    await checkLookupRate(ctx, auth.user.id);
    return searchDirectory(ctx, auth.user, query.q);
  });
}
