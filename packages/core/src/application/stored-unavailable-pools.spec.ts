import { aTemplate } from '../testing/builders';
import { FixedClock, StaticInstanceTypeCatalog, StaticTemplateSource } from '../testing/fakes';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { silentLogger } from '../ports/logger';
import { DEFAULT_PROVIDER_SETTINGS } from '../ports/provider-settings';
import { templatePools } from '../domain/template/template';
import { CachedInstanceTypeCatalog } from './cached-instance-type-catalog';
import { GetAvailableTemplates, attributeTypeOf } from './get-available-templates';
import { StoredUnavailablePools } from './stored-unavailable-pools';

const spotA = { instanceType: 'm5.large', location: 'subnet-a', priceType: 'spot' } as const;

describe('StoredUnavailablePools', () => {
  it('knows a refused pool until the TTL ends, from another instance over the same store', async () => {
    const store = new InMemoryStateStore();
    const clock = new FixedClock();
    await new StoredUnavailablePools(store, clock, 180).remember([{ pool: spotA, reason: 'InsufficientInstanceCapacity: none' }]);
    const other = new StoredUnavailablePools(store, clock, 180);
    expect(await other.find([spotA, { ...spotA, priceType: 'ondemand' }])).toEqual(
      new Map([['spot/m5.large/subnet-a', 'InsufficientInstanceCapacity: none']]),
    );
    clock.advance(180_000);
    expect((await other.find([spotA])).size).toBe(0);
  });

  it('a TTL of 0 remembers nothing, and a store that fails knows nothing', async () => {
    const store = new InMemoryStateStore();
    const clock = new FixedClock();
    await new StoredUnavailablePools(store, clock, 0).remember([{ pool: spotA, reason: 'x' }]);
    expect((await new StoredUnavailablePools(store, clock, 180).find([spotA])).size).toBe(0);
    const broken = Object.assign(new InMemoryStateStore(), {
      getCached: async () => Promise.reject(new Error('down')),
      putCached: async () => Promise.reject(new Error('down')),
    });
    await expect(new StoredUnavailablePools(broken, clock, 180).remember([{ pool: spotA, reason: 'x' }])).resolves.toBeUndefined();
    expect((await new StoredUnavailablePools(broken, clock, 180).find([spotA])).size).toBe(0);
  });
});

describe('templatePools', () => {
  it('types x subnets x the ways the template buys', () => {
    const keys = (overrides: Parameters<typeof aTemplate>[0]) =>
      templatePools(aTemplate({ vmType: 'a', vmTypes: { a: 1, b: 1 }, subnetIds: ['s1'], ...overrides })).map(
        (p) => `${p.priceType}/${p.instanceType}/${p.location}`,
      );
    expect(keys({ priceType: 'ondemand' })).toEqual(['ondemand/a/s1', 'ondemand/b/s1']);
    expect(keys({ priceType: 'spot' })).toEqual(['spot/a/s1', 'spot/b/s1']);
    expect(keys({ priceType: 'spot', percentOnDemand: 10 })).toEqual(['spot/a/s1', 'spot/b/s1', 'ondemand/a/s1', 'ondemand/b/s1']);
    expect(keys({ priceType: 'heterogeneous', vmTypesOnDemand: { c: 1 } })).toEqual(['spot/a/s1', 'spot/b/s1', 'ondemand/c/s1']);
    expect(keys({ subnetIds: [] })).toEqual(['ondemand/a/', 'ondemand/b/']);
  });
});

describe('getAvailableTemplates with unavailable pools', () => {
  it('a template whose every pool was refused offers 0 (maxNumber unchanged, the reason given) until the TTL ends; one with a pool left is untouched', async () => {
    const store = new InMemoryStateStore();
    const clock = new FixedClock();
    const pools = new StoredUnavailablePools(store, clock, 60);
    const single = aTemplate({ templateId: 'Single', vmType: 'm5.large', subnetIds: ['subnet-a'], priceType: 'spot', maxNumber: 10 });
    const double = aTemplate({ templateId: 'Double', vmType: 'm5.large', subnetIds: ['subnet-a', 'subnet-b'], priceType: 'spot', maxNumber: 10 });
    const catalog = new StaticInstanceTypeCatalog([{ instanceType: 'm5.large', vcpus: 2, cores: 1, memoryMiB: 8192, architecture: 'x86_64' }]);
    const useCase = new GetAvailableTemplates(
      new StaticTemplateSource([single, double]),
      catalog,
      store,
      silentLogger,
      DEFAULT_PROVIDER_SETTINGS,
      pools,
    );
    await pools.remember([{ pool: spotA, reason: 'InsufficientInstanceCapacity: none' }]);
    const [held, open] = await useCase.execute();
    expect(held).toMatchObject({ availableNumber: 0, template: { maxNumber: 10 } });
    expect(held?.problem).toBe('every capacity pool was refused lately: m5.large spot in subnet-a (InsufficientInstanceCapacity: none)');
    expect(open).toMatchObject({ availableNumber: 10 });
    expect(open?.problem).toBeUndefined();
    clock.advance(60_000);
    expect((await useCase.execute())[0]?.availableNumber).toBe(10);
  });
});

describe('getAvailableTemplates with instanceRequirements', () => {
  it("a template selecting types by attributes only reports the smallest matching type's attributes (asked once, cached)", async () => {
    const store = new InMemoryStateStore();
    const clock = new FixedClock();
    const asked: string[] = [];
    const inner = new StaticInstanceTypeCatalog([{ instanceType: 'c5.large', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'x86_64' }]);
    const catalog = Object.assign(inner, {
      smallestMatching: async (_requirements: Readonly<Record<string, unknown>>, architecture: string) => {
        asked.push(architecture);
        return 'c5.large';
      },
    });
    const cached = new CachedInstanceTypeCatalog(catalog, store, clock, 3600);
    const template = aTemplate({
      templateId: 'Attr',
      vmType: undefined,
      attributes: {},
      instanceRequirements: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 } },
    });
    const useCase = new GetAvailableTemplates(new StaticTemplateSource([template]), cached, store, silentLogger);
    const [offered] = await useCase.execute();
    expect(offered?.attributes).toMatchObject({ ncpus: ['Numeric', '1'], nram: ['Numeric', '4096'] });
    await useCase.execute();
    expect(asked).toEqual(['x86_64']);
  });

  it("attributeTypeOf (also used by the guide dialect's status): the first named type, else the smallest match, else none", async () => {
    const catalog = Object.assign(new StaticInstanceTypeCatalog([]), { smallestMatching: async () => 'c5.large' });
    const requirements = { vCpuCount: { min: 2 } };
    expect(await attributeTypeOf(aTemplate({ vmType: 'm5.large', instanceRequirements: requirements }), catalog)).toBe('m5.large');
    expect(await attributeTypeOf(aTemplate({ vmType: undefined, attributes: {}, instanceRequirements: requirements }), catalog)).toBe('c5.large');
    const stated = { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] } as const;
    expect(await attributeTypeOf(aTemplate({ vmType: undefined, attributes: stated, instanceRequirements: requirements }), catalog)).toBeUndefined();
    expect(await attributeTypeOf(aTemplate({ vmType: undefined, attributes: {} }), catalog)).toBeUndefined();
  });
});
