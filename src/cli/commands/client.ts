import type { Command } from 'commander';

/** The user client: login, chats, chat start, send, watch, download. */
export function registerClientCommands(_program: Command): void {
  // Registered with the conversations domain.
}
