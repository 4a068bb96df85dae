/**
 * The public contract: every endpoint, grouped by domain. Server, web client, CLI and tests all
 * import from here.
 */
import * as auth from './auth.js';
import * as activity from './activity.js';
import * as conversations from './conversations.js';
import * as directory from './directory.js';
import * as external from './external.js';
import * as files from './files.js';
import * as messages from './messages.js';
import * as orgs from './orgs.js';

export const api = { auth, conversations, messages, orgs, files, directory, external, activity } as const;

export * from './define.js';
export * from './shapes.js';
export { LIMITS, Email, Password, DisplayName, Me } from './auth.js';
export { ORG_LIMITS, OrgDetails, AuditEntry, UserStatusFilter } from './orgs.js';
export { CONVERSATION_LIMITS } from './conversations.js';
export { MESSAGE_LIMITS, ReadState } from './messages.js';
export { FILE_LIMITS, FileName } from './files.js';
export { DIRECTORY_LIMITS, DirectoryEntry, SearchResult } from './directory.js';
export { EXTERNAL_LIMITS, OrgSettings, OrgSettingsPatch } from './external.js';
export { ACTIVITY_LIMITS, ActivityEntry } from './activity.js';
