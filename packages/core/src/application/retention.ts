import { toHostFactoryError } from '../errors';
import type { PurgeResult } from '../ports/state-store';
import type { UseCaseContext } from './use-case-context';

/** The store lease that lets one process purge per interval. */
export const PURGE_LEASE = 'retention-purge';
/** The automatic purge runs at most this often across processes. */
export const PURGE_INTERVAL_MS = 3600_000;
/** Requests deleted by one automatic purge at most (a call's cost stays small; the next interval goes on). */
export const PURGE_BATCH = 1000;

const DAY_MS = 86_400_000;

/**
 * Retention: requests closed more than `retentionDays` ago (ended, nothing of theirs alive in
 * the cloud) are deleted with their machines. `maybeRun` purges at most once per hour across
 * processes (a store lease) and never throws; `run` is the operator's `storage purge`.
 */
export class RetentionPurge {
  constructor(private readonly deps: Pick<UseCaseContext, 'store' | 'clock' | 'settings' | 'logger' | 'identity'>) {}

  /** Runs the purge when no process has within the hour (a store lease); undefined when skipped or failed (logged, never thrown). */
  async maybeRun(): Promise<PurgeResult | undefined> {
    try {
      const now = this.deps.clock.now();
      if (!(await this.deps.store.takeLease(PURGE_LEASE, this.deps.identity.self, now + PURGE_INTERVAL_MS, now))) return undefined;
      return await this.run(this.deps.settings.retentionDays, PURGE_BATCH);
    } catch (error) {
      this.deps.logger.warn('retention purge failed; will retry', { error: toHostFactoryError(error).message });
      return undefined;
    }
  }

  /** Deletes requests closed more than `days` days ago (at most `limit`), with their machines. */
  async run(days: number, limit: number = Number.MAX_SAFE_INTEGER): Promise<PurgeResult> {
    const closedBefore = this.deps.clock.now() - days * DAY_MS;
    const result = await this.deps.store.purge(closedBefore, limit);
    if (result.requests > 0) this.deps.logger.info('retention purge', { days, closedBefore: new Date(closedBefore).toISOString(), ...result });
    return result;
  }
}
