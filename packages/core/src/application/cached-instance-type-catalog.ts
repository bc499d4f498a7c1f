import type { Clock } from '../ports/clock';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '../ports/instance-type-catalog';
import type { StateStore } from '../ports/state-store';

// v2: entries carry GPUs; older entries are not read (they would hide a type's GPUs until they expire).
const KEY_PREFIX = 'instance-type:v2:';
const MATCHING_PREFIX = 'instance-requirements:v1:';

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

  /** The inner catalog's answer, cached for the TTL under the requirements' JSON ('' caches "none matches"). */
  async smallestMatching(requirements: Readonly<Record<string, unknown>>, architecture: string): Promise<string | undefined> {
    if (!this.inner.smallestMatching) return undefined;
    const now = this.clock.now();
    const key = `${MATCHING_PREFIX}${architecture}:${JSON.stringify(requirements)}`;
    const cached = await this.store.getCached(key, now).catch(() => undefined);
    if (cached !== undefined) return cached === '' ? undefined : cached;
    const found = await this.inner.smallestMatching(requirements, architecture);
    await this.store.putCached(key, found ?? '', now + this.ttlSec * 1000).catch(() => undefined);
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
