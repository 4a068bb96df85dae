import type { FastifyInstance } from 'fastify';
import { registerAccountsRoutes } from './accounts/routes.js';
import { registerActivityRoutes } from './activity/routes.js';
import { registerCallsRoutes } from './calls/routes.js';
import type { AppContext } from './context.js';
import { registerConversationsRoutes } from './conversations/routes.js';
import { registerDirectoryRoutes } from './directory/routes.js';
import { registerExternalRoutes } from './external/routes.js';
import { registerFilesRoutes } from './files/routes.js';
import type { Router } from './http/router.js';
import { registerOrgsRoutes } from './orgs/routes.js';
import { registerRealtimeRoutes } from './realtime/routes.js';

/** Every domain's routes; the layout of `src/server/` is the architecture. */
export function registerDomainRoutes(router: Router, ctx: AppContext, app: FastifyInstance): void {
  registerAccountsRoutes(router, ctx, app);
  registerOrgsRoutes(router, ctx, app);
  registerDirectoryRoutes(router, ctx, app);
  registerExternalRoutes(router, ctx, app);
  registerConversationsRoutes(router, ctx, app);
  registerFilesRoutes(router, ctx, app);
  registerActivityRoutes(router, ctx, app);
  registerCallsRoutes(router, ctx, app);
  registerRealtimeRoutes(router, ctx, app);
}
