import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_conversations.js';
import * as m0006 from './0006_files.js';
import * as m0007 from './0007_external.js';
import * as m0008 from './0008_change_seq.js';
import * as m0009 from './0009_system_notes.js';
import * as m0010 from './0010_sessions_revoked.js';
import * as m0011 from './0011_deleted_messages.js';

/**
 * Every migration in order. Names are frozen once released: a database records the names it
 * has run. A new migration is a new file added at the end of this list.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_conversations': m0002,
  '0006_files': m0006,
  '0007_external': m0007,
  '0008_change_seq': m0008,
  '0009_system_notes': m0009,
  '0010_sessions_revoked': m0010,
  '0011_deleted_messages': m0011,
};
