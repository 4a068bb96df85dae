import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { Router } from '../http/router.js';

export function registerExternalRoutes(_router: Router, _ctx: AppContext, _app: FastifyInstance): void {
  // Routes of this domain are registered here.
}
