import type { Clock } from '../ports/clock';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '../ports/instance-type-catalog';
import type { StateStore } from '../ports/state-store';

// v2: entries carry GPUs; older entries are not read (they would hide a type's GPUs until they expire).
const KEY_PREFIX = 'instance-type:v2:';

/**
 * Decorates a catalog with the state store's cache, so a type is described by the cloud once
 * per `ttlSec` across all processes. A cache read or write failure falls through to the cloud.
 */
export class CachedInstanceTypeCatalog implements InstanceTypeCatalog {
  constructor(
    private readonly inner: InstanceTypeCatalog,
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly ttlSec: number,
  ) {}

  async describe(instanceTypes: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
    const now = this.clock.now();
    const found = new Map<string, InstanceTypeInfo>();
    const missing: string[] = [];
    for (const type of new Set(instanceTypes)) {
      const cached = await this.store.getCached(KEY_PREFIX + type, now).catch(() => undefined);
      const info = cached === undefined ? undefined : parseInfo(cached);
      if (info) found.set(type, info);
      else missing.push(type);
    }
    if (missing.length === 0) return found;
    const fresh = await this.inner.describe(missing);
    for (const [type, info] of fresh) {
      found.set(type, info);
      await this.store.putCached(KEY_PREFIX + type, JSON.stringify(info), now + this.ttlSec * 1000).catch(() => undefined);
    }
    return found;
  }
}

function parseInfo(text: string): InstanceTypeInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<InstanceTypeInfo>;
    if (typeof value.instanceType !== 'string' || typeof value.vcpus !== 'number' || typeof value.memoryMiB !== 'number') {
      return undefined;
    }
    return value as InstanceTypeInfo;
  } catch {
    return undefined;
  }
}
