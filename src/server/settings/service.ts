import type { Kysely } from 'kysely';
import type { Stage } from '../../shared/api/shapes.js';
import type { Database } from '../db/schema.js';
import { nowIso } from '../db/util.js';

const STAGES: readonly Stage[] = ['off', 'beta', 'ga'];

/**
 * Deployment-wide settings the operator changes with the CLI while servers run. Every node
 * reads them from the database through a short cache, so a change takes effect on all nodes
 * within `ttlMs` without a restart.
 */
export class DeploymentSettings {
  private cache = new Map<string, { value: string | null; at: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs = 1000,
  ) {}

  private async get(key: string): Promise<string | null> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const row = await this.db.selectFrom('deployment_settings').select('value').where('key', '=', key).executeTakeFirst();
    const value = row?.value ?? null;
    this.cache.set(key, { value, at: Date.now() });
    return value;
  }

  private async put(key: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.deleteFrom('deployment_settings').where('key', '=', key).execute();
    } else {
      await this.db
        .insertInto('deployment_settings')
        .values({ key, value, updated_at: nowIso() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: nowIso() }))
        .execute();
    }
    this.cache.delete(key);
  }

  /** Forget cached values (tests, and the node that made a change). */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The cross-org messaging stage. A new deployment starts at `ga`: cross-org messaging is the
   * product's reason to exist, and each org's own policy still decides (paid and trial orgs
   * start with it off).
   */
  async stage(): Promise<Stage> {
    const v = await this.get('stage');
    return STAGES.includes(v as Stage) ? (v as Stage) : 'ga';
  }

  async setStage(stage: Stage): Promise<void> {
    if (!STAGES.includes(stage)) throw new Error(`Unknown stage ${String(stage)}`);
    await this.put('stage', stage);
  }

  /** Minimum `Parley-Client` version for cross-org endpoints, or null when none is set. */
  async clientMinVersion(): Promise<string | null> {
    return this.get('client_min_version');
  }

  async setClientMinVersion(version: string | null): Promise<void> {
    await this.put('client_min_version', version);
  }
}
