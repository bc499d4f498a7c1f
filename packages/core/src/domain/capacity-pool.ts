/**
 * One pool of capacity: an instance type, in one place (a subnet id; `''` when the template names
 * none and its launch template decides), bought one way. A pool the cloud refused for capacity
 * is remembered as unavailable for a while, and launches skip it.
 */
export interface CapacityPool {
  readonly instanceType: string;
  readonly location: string;
  readonly priceType: 'ondemand' | 'spot';
}

/** A pool the cloud refused, and why (its error code and message). */
export interface PoolRefusal {
  readonly pool: CapacityPool;
  readonly reason: string;
}

/** `spot/m5.large/subnet-0abc`: a pool's identity. */
export function poolKey(pool: CapacityPool): string {
  return `${pool.priceType}/${pool.instanceType}/${pool.location}`;
}

/** `m5.large spot in subnet-0abc`: a pool for people. */
export function describePool(pool: CapacityPool): string {
  return `${pool.instanceType} ${pool.priceType === 'spot' ? 'spot' : 'on-demand'}${pool.location ? ` in ${pool.location}` : ''}`;
}

/** `m5.large spot in subnet-0abc (InsufficientInstanceCapacity: ...)`: a refused pool and why, for people. */
export function describeRefusal(pool: CapacityPool, reason: string | undefined): string {
  return `${describePool(pool)} (${reason ?? 'refused'})`;
}
