import type { Command } from 'commander';

/** Operator commands: org, stage, user, mail, client min-version. */
export function registerOperatorCommands(_program: Command): void {
  // Registered by the orgs, accounts, mail and settings domains.
}
