import type { CapacityPool, PoolRefusal } from '../domain/capacity-pool';
import { portToken, type Token } from './token';

/**
 * What is known of pools the cloud refused lately (Karpenter's unavailable offerings). Shared by
 * every process of the provider instance, so a refusal seen by one call is known to the next.
 * Never fails a call: a memory that cannot be read knows nothing, one that cannot be written
 * forgets.
 */
export interface UnavailablePools {
  /** Of `pools`, those unavailable now: {@link poolKey} -> the reason they were refused. */
  find(pools: readonly CapacityPool[]): Promise<ReadonlyMap<string, string>>;
  /** Remembers each refused pool as unavailable for the memory's TTL. */
  remember(refusals: readonly PoolRefusal[]): Promise<void>;
}
/** The injection token of {@link UnavailablePools}. */
export const UnavailablePools: Token<UnavailablePools> = portToken<UnavailablePools>('UnavailablePools');

/** A memory that knows no pool and keeps nothing (a provider built without one). */
export const noPoolMemory: UnavailablePools = {
  find: async () => new Map(),
  remember: async () => undefined,
};
