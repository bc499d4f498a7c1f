import { FixedClock, StaticInstanceTypeCatalog } from '../testing/fakes';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { CachedInstanceTypeCatalog } from './cached-instance-type-catalog';

describe('CachedInstanceTypeCatalog', () => {
  const t3 = { instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'x86_64' };

  function setup() {
    const clock = new FixedClock();
    const store = new InMemoryStateStore();
    const inner = new StaticInstanceTypeCatalog([t3]);
    return { clock, store, inner, catalog: new CachedInstanceTypeCatalog(inner, store, clock, 3600) };
  }

  it('asks the cloud once, then answers from the store until the entry expires', async () => {
    const { clock, inner, catalog } = setup();
    expect((await catalog.describe(['t3.medium'])).get('t3.medium')).toEqual(t3);
    expect((await catalog.describe(['t3.medium'])).get('t3.medium')).toEqual(t3);
    expect(inner.calls).toBe(1);
    clock.advance(3601_000);
    await catalog.describe(['t3.medium']);
    expect(inner.calls).toBe(2);
  });

  it('the cache is shared through the store (another process, another catalog instance)', async () => {
    const { clock, store, inner, catalog } = setup();
    await catalog.describe(['t3.medium']);
    const other = new CachedInstanceTypeCatalog(new StaticInstanceTypeCatalog([]), store, clock, 3600);
    expect((await other.describe(['t3.medium'])).get('t3.medium')).toEqual(t3);
    expect(inner.calls).toBe(1);
  });

  it('unknown types are left out and asked again next time', async () => {
    const { inner, catalog } = setup();
    expect((await catalog.describe(['x9.bogus'])).size).toBe(0);
    await catalog.describe(['x9.bogus']);
    expect(inner.calls).toBe(2);
  });

  it('a corrupt cache entry is ignored and refreshed', async () => {
    const { clock, store, inner, catalog } = setup();
    await store.putCached('instance-type:t3.medium', '{not json', clock.now() + 10_000);
    expect((await catalog.describe(['t3.medium'])).get('t3.medium')).toEqual(t3);
    expect(inner.calls).toBe(1);
  });

  it('cloud failures pass through', async () => {
    const { inner, catalog } = setup();
    inner.failWith = new Error('throttled');
    await expect(catalog.describe(['t3.medium'])).rejects.toThrow('throttled');
  });
});
