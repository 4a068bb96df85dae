import type { Command } from 'commander';
import { registerOrgCommands } from './operator-org.js';
import { registerSettingsCommands } from './operator-settings.js';
import { registerUserCommands } from './operator-user.js';

/**
 * Operator commands: org, stage, user, mail, client min-version. They act on the deployment's
 * database directly (the same services as the API), with or without a server running.
 */
export function registerOperatorCommands(program: Command): void {
  registerOrgCommands(program);
  registerSettingsCommands(program);
  registerUserCommands(program);
}
