import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import { poolKey, type CapacityPool, type PoolRefusal } from '../domain/capacity-pool';
import type { UnavailablePools } from '../ports/unavailable-pools';

const KEY_PREFIX = 'unavailable-pool:';

/**
 * {@link UnavailablePools} kept in the state store's cache (one entry per pool, expiring after
 * `ttlSec`), so every process of the provider instance, and every HF host sharing a DynamoDB
 * store, knows a refusal as soon as it is seen. A TTL of 0 remembers nothing.
 */
export class StoredUnavailablePools implements UnavailablePools {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly ttlSec: number,
    private readonly logger?: Logger,
  ) {}

  async find(pools: readonly CapacityPool[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    if (this.ttlSec <= 0 || pools.length === 0) return found;
    const now = this.clock.now();
    const keys = [...new Set(pools.map(poolKey))];
    const reasons = await Promise.all(keys.map((key) => this.store.getCached(KEY_PREFIX + key, now).catch(() => undefined)));
    keys.forEach((key, index) => {
      const reason = reasons[index];
      if (reason !== undefined) found.set(key, reason);
    });
    return found;
  }

  async remember(refusals: readonly PoolRefusal[]): Promise<void> {
    if (this.ttlSec <= 0 || refusals.length === 0) return;
    const until = this.clock.now() + this.ttlSec * 1000;
    for (const { pool, reason } of refusals) {
      try {
        await this.store.putCached(KEY_PREFIX + poolKey(pool), reason, until);
        this.logger?.warn('capacity pool unavailable', { pool: poolKey(pool), reason, untilMs: until });
      } catch {
        // Forgetting only costs a launch that asks the pool again.
      }
    }
  }
}
