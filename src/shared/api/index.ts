/**
 * The public contract: every endpoint, grouped by domain. Server, web client, CLI and tests all
 * import from here.
 */
import * as auth from './auth.js';
import * as orgs from './orgs.js';

export const api = { auth, orgs } as const;

export * from './define.js';
export * from './shapes.js';
export { LIMITS, Email, Password, DisplayName, Me } from './auth.js';
export { ORG_LIMITS, OrgDetails, AuditEntry, UserStatusFilter } from './orgs.js';
