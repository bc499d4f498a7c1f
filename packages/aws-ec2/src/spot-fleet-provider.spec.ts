import { FixedClock, InMemoryStateStore, aMachine, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { StoredUnavailablePools, type Request, type Template } from '@open-hostfactory/core';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { FakeSpotFleetWorld } from '../test/fake-spot-fleet-world';
import { clientToken } from './run-instances-provider';
import { spotFleetIdsOf } from './spot-fleet-api';
import { SPOT_FLEET_ALLOCATION_STRATEGIES, SpotFleetProvider, type LaunchTemplateSource } from './spot-fleet-provider';
import { validUntil } from './fleet-common';

const NOW = 1_700_000_000_000;
const DEADLINE = NOW + 3_600_000;
const ROLE = 'arn:aws:iam::123456789012:role/spot-fleet';

class FakeLaunchTemplates implements LaunchTemplateSource {
  readonly ensured: Template[] = [];
  async ensure(template: Template): Promise<{ launchTemplateId: string; version: string }> {
    this.ensured.push(template);
    return { launchTemplateId: 'lt-0abc', version: '4' };
  }
  async preflight(): Promise<{ ref: { launchTemplateId: string; version: string }; checked: string[]; problems: [] }> {
    return { ref: { launchTemplateId: 'lt-0abc', version: '4' }, checked: ['launch template lt-0abc version 4'], problems: [] };
  }
}

const spotTemplate = (overrides: Partial<Template> = {}): Template =>
  aTemplate({
    templateId: 'Spot-T',
    providerApi: 'SpotFleet',
    priceType: 'spot',
    fleetRole: ROLE,
    subnetIds: ['subnet-a'],
    instanceTags: { team: 'hpc' },
    ...overrides,
  });

const aRequest = (overrides: Partial<Request> = {}): Request =>
  anAcquireRequest({ requestId: 'req-1', templateId: 'Spot-T', providerApi: 'SpotFleet', createdAt: NOW - 60_000, ...overrides });

function setup(client = new FakeAwsClient().on('RequestSpotFleetCommand', () => ({ SpotFleetRequestId: 'sfr-1' }))) {
  const launchTemplates = new FakeLaunchTemplates();
  const provider = new SpotFleetProvider(client, launchTemplates, { providerName: 'aws', clock: new FixedClock(NOW) });
  return { client, launchTemplates, provider };
}

function worldSetup(): { world: FakeSpotFleetWorld; provider: SpotFleetProvider } {
  const world = new FakeSpotFleetWorld();
  const provider = new SpotFleetProvider(world.client, new FakeLaunchTemplates(), { providerName: 'aws', clock: new FixedClock(NOW) });
  return { world, provider };
}

const fleetRequest = (ids: string, extra: Record<string, string> = {}): Request =>
  aRequest({ providerData: { spotFleetRequestId: ids.split(',').pop() as string, spotFleetRequestIds: ids, instanceTags: 'team=hpc', ...extra } });

describe('SpotFleetProvider.acquire', () => {
  it('requests one spot fleet with every parameter: overrides types x subnets, weights, price, split, strategies, expiry, token, tags', async () => {
    const { client, provider, launchTemplates } = setup();
    const template = spotTemplate({
      vmType: undefined,
      vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 },
      subnetIds: ['subnet-a', 'subnet-b'],
      priceType: 'spot',
      percentOnDemand: 30,
      maxSpotPrice: 0.12,
      allocationStrategy: 'capacityOptimized',
      allocationStrategyOnDemand: 'lowestPrice',
    });
    const request = aRequest();
    const result = await provider.acquire({ request, template, count: 5, attempt: 1, deadline: DEADLINE });

    expect(result).toEqual({
      machines: [],
      providerData: { spotFleetRequestId: 'sfr-1', spotFleetRequestIds: 'sfr-1', spotFleetType: 'request', instanceTags: 'team=hpc' },
    });
    expect(launchTemplates.ensured).toEqual([template]);
    expect(client.calls('RequestSpotFleetCommand')).toEqual([
      {
        SpotFleetRequestConfig: {
          IamFleetRole: ROLE,
          LaunchTemplateConfigs: [
            {
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '4' },
              Overrides: [
                { InstanceType: 'm5.large', WeightedCapacity: 1, SubnetId: 'subnet-a', SpotPrice: '0.12' },
                { InstanceType: 'm5.large', WeightedCapacity: 1, SubnetId: 'subnet-b', SpotPrice: '0.12' },
                { InstanceType: 'm5.xlarge', WeightedCapacity: 2, SubnetId: 'subnet-a', SpotPrice: '0.06' },
                { InstanceType: 'm5.xlarge', WeightedCapacity: 2, SubnetId: 'subnet-b', SpotPrice: '0.06' },
              ],
            },
          ],
          TargetCapacity: 5,
          OnDemandTargetCapacity: 2, // round(5 * 30 / 100) = round(1.5) = 2 (half up)
          Type: 'request',
          ValidUntil: new Date(DEADLINE),
          TerminateInstancesWithExpiration: false,
          ReplaceUnhealthyInstances: false,
          ClientToken: clientToken('req-1', 1),
          TagSpecifications: [
            {
              ResourceType: 'spot-fleet-request',
              Tags: [
                { Key: 'Name', Value: 'hf-aws-req-1' },
                { Key: 'team', Value: 'hpc' },
                { Key: 'hf:request-id', Value: 'req-1' },
                { Key: 'hf:template-id', Value: 'Spot-T' },
                { Key: 'hf:provider-name', Value: 'aws' },
                { Key: 'hf:provider-api', Value: 'SpotFleet' },
                { Key: 'hf:launch-attempt', Value: '1' },
              ],
            },
          ],
          AllocationStrategy: 'capacityOptimized',
          OnDemandAllocationStrategy: 'lowestPrice',
        },
      },
    ]);
  });

  it.each([
    ['capacityOptimized', 'capacityOptimized'],
    ['capacityOptimizedPrioritized', 'capacityOptimizedPrioritized'],
    ['diversified', 'diversified'],
    ['lowestPrice', 'lowestPrice'],
    ['priceCapacityOptimized', 'priceCapacityOptimized'],
    ['price-capacity-optimized', 'priceCapacityOptimized'],
  ])('maps allocationStrategy %s to Spot Fleet %s', async (strategy, apiValue) => {
    const { client, provider } = setup();
    await provider.acquire({
      request: aRequest(),
      template: spotTemplate({ allocationStrategy: strategy }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.AllocationStrategy).toBe(apiValue);
    expect(SPOT_FLEET_ALLOCATION_STRATEGIES[strategy]).toBe(apiValue);
  });

  it.each([
    ['lowestPrice', 'lowestPrice'],
    ['prioritized', 'prioritized'],
  ])('maps allocationStrategyOnDemand %s to %s', async (strategy, apiValue) => {
    const { client, provider } = setup();
    await provider.acquire({
      request: aRequest(),
      template: spotTemplate({ priceType: 'ondemand', allocationStrategyOnDemand: strategy }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.OnDemandAllocationStrategy).toBe(apiValue);
  });

  it("sends explicit strategies when the template sets none (never EC2's legacy default): priceCapacityOptimized, or lowestPrice with poolsCount", async () => {
    const { client, provider } = setup();
    await provider.acquire({ request: aRequest(), template: spotTemplate(), count: 1, attempt: 1, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig).toMatchObject({
      AllocationStrategy: 'priceCapacityOptimized',
      OnDemandAllocationStrategy: 'lowestPrice',
    });
    await provider.acquire({ request: aRequest(), template: spotTemplate({ poolsCount: 2 }), count: 1, attempt: 2, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand')[1].SpotFleetRequestConfig).toMatchObject({
      AllocationStrategy: 'lowestPrice',
      InstancePoolsToUseCount: 2,
    });
  });

  it.each([
    ['allocationStrategy', { allocationStrategy: 'cheapest' }],
    ['allocationStrategyOnDemand', { allocationStrategyOnDemand: 'capacityOptimized' }],
  ])('rejects an unknown %s as TEMPLATE_INVALID before any EC2 call', async (field, overrides) => {
    const { client, provider } = setup();
    await expect(
      provider.acquire({ request: aRequest(), template: spotTemplate(overrides), count: 1, attempt: 1, deadline: DEADLINE }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID', details: { field } });
    expect(client.sent).toEqual([]);
  });

  it('gives overrides a Priority in instance-type order with a prioritized strategy', async () => {
    const { client, provider } = setup();
    const template = spotTemplate({
      vmType: 'c5.large',
      vmTypes: { 'c5.large': 1, 'm5.large': 1 },
      allocationStrategy: 'capacityOptimizedPrioritized',
    });
    await provider.acquire({ request: aRequest(), template, count: 2, attempt: 1, deadline: DEADLINE });
    const overrides = client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.LaunchTemplateConfigs[0].Overrides;
    expect(overrides.map((o: { InstanceType: string; Priority: number }) => [o.InstanceType, o.Priority])).toEqual([
      ['c5.large', 0],
      ['m5.large', 1],
    ]);
  });

  it('vmTypesPriority: each override gets its stated Priority (unnamed types after), and the prioritized strategies become the defaults', async () => {
    const { client, provider } = setup();
    const template = spotTemplate({
      vmType: 'c5.large',
      vmTypes: { 'c5.large': 1, 'm5.large': 1, 'r5.large': 1 },
      vmTypesPriority: { 'm5.large': 0, 'c5.large': 3 },
    });
    await provider.acquire({ request: aRequest(), template, count: 2, attempt: 1, deadline: DEADLINE });
    const config = client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig;
    expect(config.LaunchTemplateConfigs[0].Overrides.map((o: { InstanceType: string; Priority: number }) => [o.InstanceType, o.Priority])).toEqual([
      ['c5.large', 3],
      ['m5.large', 0],
      ['r5.large', 4],
    ]);
    expect(config).toMatchObject({ AllocationStrategy: 'capacityOptimizedPrioritized', OnDemandAllocationStrategy: 'prioritized' });
    // A strategy the template names is kept; the priorities are sent all the same.
    await provider.acquire({
      request: aRequest(),
      template: { ...template, allocationStrategy: 'capacityOptimized' },
      count: 2,
      attempt: 2,
      deadline: DEADLINE,
    });
    const named = client.calls('RequestSpotFleetCommand')[1].SpotFleetRequestConfig;
    expect(named.AllocationStrategy).toBe('capacityOptimized');
    expect(named.LaunchTemplateConfigs[0].Overrides[1].Priority).toBe(0);
  });

  it('leaves out overrides whose pool was refused lately for the way the fleet buys', async () => {
    const pools = new StoredUnavailablePools(new InMemoryStateStore(), new FixedClock(NOW), 180);
    await pools.remember([{ pool: { instanceType: 'm5.large', location: 'subnet-a', priceType: 'spot' }, reason: 'capacity-not-available: none' }]);
    const client = new FakeAwsClient().on('RequestSpotFleetCommand', () => ({ SpotFleetRequestId: 'sfr-1' }));
    const provider = new SpotFleetProvider(client, new FakeLaunchTemplates(), { providerName: 'aws', clock: new FixedClock(NOW), pools });
    const template = spotTemplate({ vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'c5.large': 1 } });
    await provider.acquire({ request: aRequest(), template, count: 2, attempt: 1, deadline: DEADLINE });
    const overrides = client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.LaunchTemplateConfigs[0].Overrides;
    expect(overrides.map((o: { InstanceType: string }) => o.InstanceType)).toEqual(['c5.large']);
    // Bought on demand, the same type and subnet is another pool: kept.
    await provider.acquire({ request: aRequest(), template: { ...template, priceType: 'ondemand' }, count: 2, attempt: 2, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand')[1].SpotFleetRequestConfig.LaunchTemplateConfigs[0].Overrides).toHaveLength(2);
  });

  it('instanceRequirements: attribute-based overrides per subnet, and no type-less override beside them', async () => {
    const { client, provider } = setup();
    const template = spotTemplate({
      vmType: undefined,
      subnetIds: ['subnet-a', 'subnet-b'],
      instanceRequirements: { vCpuCount: { min: 2 }, memoryMiB: { min: 2048 } },
    });
    await provider.acquire({ request: aRequest(), template, count: 2, attempt: 1, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.LaunchTemplateConfigs[0].Overrides).toEqual([
      { InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 2048 } }, SubnetId: 'subnet-a' },
      { InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 2048 } }, SubnetId: 'subnet-b' },
    ]);
  });

  it('on-demand templates put all units on-demand and send no spot price; spot templates none', async () => {
    const onDemand = setup();
    await onDemand.provider.acquire({
      request: aRequest(),
      template: spotTemplate({ priceType: 'ondemand', maxSpotPrice: 0.5 }),
      count: 3,
      attempt: 1,
      deadline: DEADLINE,
    });
    const config = onDemand.client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig;
    expect(config.TargetCapacity).toBe(3);
    expect(config.OnDemandTargetCapacity).toBe(3);
    expect(config.LaunchTemplateConfigs[0].Overrides).toEqual([{ InstanceType: 't3.medium', WeightedCapacity: 1, SubnetId: 'subnet-a' }]);

    const spot = setup();
    await spot.provider.acquire({ request: aRequest(), template: spotTemplate(), count: 3, attempt: 1, deadline: DEADLINE });
    expect(spot.client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.OnDemandTargetCapacity).toBe(0);
  });

  it('heterogeneous: a spot fleet first (percentOnDemand share, spot expiry), then every later attempt the rest on-demand from vmTypesOnDemand', async () => {
    const { client, provider } = setup();
    const hetero = spotTemplate({ priceType: 'heterogeneous', percentOnDemand: 25, vmTypesOnDemand: { 'c5.large': 1 }, subnetIds: ['subnet-a'] });
    await provider.acquire({ request: aRequest(), template: hetero, count: 4, attempt: 1, deadline: DEADLINE });
    await provider.acquire({ request: aRequest(), template: hetero, count: 2, attempt: 2, deadline: DEADLINE });
    const [first, rest] = client.calls('RequestSpotFleetCommand').map((call) => call.SpotFleetRequestConfig);
    expect(first).toMatchObject({ TargetCapacity: 4, OnDemandTargetCapacity: 1 });
    // No expiry stated: IBM's 30 minutes, capped at halfway to the capacity deadline (30 of 60 minutes here).
    expect(first.ValidUntil).toEqual(new Date(NOW + 1_800_000));
    expect(first.LaunchTemplateConfigs[0].Overrides.map((o: { InstanceType: string }) => o.InstanceType)).toEqual(['t3.medium']);
    expect(rest).toMatchObject({ TargetCapacity: 2, OnDemandTargetCapacity: 2, ValidUntil: new Date(DEADLINE) });
    expect(rest.LaunchTemplateConfigs[0].Overrides).toEqual([{ InstanceType: 'c5.large', WeightedCapacity: 1, SubnetId: 'subnet-a' }]);
  });

  it('spot with percentOnDemand puts that share on-demand (IBM meaning); without it, none', async () => {
    const { client, provider } = setup();
    await provider.acquire({ request: aRequest(), template: spotTemplate({ percentOnDemand: 50 }), count: 3, attempt: 1, deadline: DEADLINE });
    await provider.acquire({ request: aRequest(), template: spotTemplate({ percentOnDemand: 50 }), count: 3, attempt: 2, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand').map((call) => call.SpotFleetRequestConfig.OnDemandTargetCapacity)).toEqual([2, 2]);
  });

  it('ValidUntil is the deadline, or earlier with spotFleetRequestExpiry minutes', async () => {
    expect(validUntil(spotTemplate({ spotFleetRequestExpiry: 10 }), DEADLINE, NOW)).toBe(NOW + 600_000);
    expect(validUntil(spotTemplate({ spotFleetRequestExpiry: 120 }), DEADLINE, NOW)).toBe(DEADLINE);
    expect(validUntil(spotTemplate({ spotFleetRequestExpiry: 0 }), DEADLINE, NOW)).toBe(DEADLINE);
    // The spot part of a heterogeneous template: the stated expiry or 30 minutes, and at most halfway to the deadline.
    expect(validUntil(spotTemplate({ spotFleetRequestExpiry: 10 }), DEADLINE, NOW, 'spot-first')).toBe(NOW + 600_000);
    expect(validUntil(spotTemplate(), NOW + 7_200_000, NOW, 'spot-first')).toBe(NOW + 1_800_000);
    expect(validUntil(spotTemplate(), NOW + 600_000, NOW, 'spot-first')).toBe(NOW + 300_000);
    expect(validUntil(spotTemplate(), DEADLINE, NOW, 'on-demand-rest')).toBe(DEADLINE);
    const { client, provider } = setup();
    await provider.acquire({ request: aRequest(), template: spotTemplate({ spotFleetRequestExpiry: 10 }), count: 1, attempt: 1, deadline: DEADLINE });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.ValidUntil).toEqual(new Date(NOW + 600_000));
  });

  it('fleetType maintain makes a maintain fleet; instant is TEMPLATE_INVALID', async () => {
    const { client, provider } = setup();
    const result = await provider.acquire({
      request: aRequest(),
      template: spotTemplate({ fleetType: 'maintain' }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.Type).toBe('maintain');
    expect(result.providerData?.['spotFleetType']).toBe('maintain');

    const instant = setup();
    await expect(
      instant.provider.acquire({ request: aRequest(), template: spotTemplate({ fleetType: 'instant' }), count: 1, attempt: 1, deadline: DEADLINE }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID', details: { field: 'fleetType' } });
    expect(instant.client.sent).toEqual([]);
  });

  it('needs fleetRole: TEMPLATE_INVALID naming the template, no EC2 call', async () => {
    const { client, provider, launchTemplates } = setup();
    const failure = provider.acquire({
      request: aRequest(),
      template: spotTemplate({ fleetRole: undefined }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    await expect(failure).rejects.toMatchObject({ code: 'TEMPLATE_INVALID', details: { templateId: 'Spot-T', field: 'fleetRole' } });
    await expect(failure).rejects.toThrow(/Spot-T.*fleetRole/);
    expect(client.sent).toEqual([]);
    expect(launchTemplates.ensured).toEqual([]);
  });

  it('needs an instance type unless the template has its own launch template', async () => {
    const { provider } = setup();
    await expect(
      provider.acquire({ request: aRequest(), template: spotTemplate({ vmType: undefined }), count: 1, attempt: 1, deadline: DEADLINE }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });

    const own = setup();
    await own.provider.acquire({
      request: aRequest(),
      template: spotTemplate({ vmType: undefined, launchTemplateId: 'lt-own', subnetIds: ['subnet-a', 'subnet-b'] }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(own.client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.LaunchTemplateConfigs[0].Overrides).toEqual([
      { SubnetId: 'subnet-a' },
      { SubnetId: 'subnet-b' },
    ]);
  });

  it('sends no Overrides when the template names neither types nor subnets (its launch template decides)', async () => {
    const { client, provider } = setup();
    await provider.acquire({
      request: aRequest(),
      template: spotTemplate({ vmType: undefined, launchTemplateId: 'lt-own', subnetIds: [] }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.LaunchTemplateConfigs[0]).not.toHaveProperty('Overrides');
  });

  it('sends poolsCount as InstancePoolsToUseCount only with the lowestPrice strategy', async () => {
    const lowest = setup();
    await lowest.provider.acquire({
      request: aRequest(),
      template: spotTemplate({ allocationStrategy: 'lowestPrice', poolsCount: 3 }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(lowest.client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig.InstancePoolsToUseCount).toBe(3);

    const other = setup();
    await other.provider.acquire({
      request: aRequest(),
      template: spotTemplate({ allocationStrategy: 'capacityOptimized', poolsCount: 3 }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(other.client.calls('RequestSpotFleetCommand')[0].SpotFleetRequestConfig).not.toHaveProperty('InstancePoolsToUseCount');
  });

  it('is idempotent per (request, attempt): the same ClientToken every time, another for the next attempt', async () => {
    const { client, provider } = setup();
    const input = { request: aRequest(), template: spotTemplate(), count: 1, attempt: 1, deadline: DEADLINE };
    await provider.acquire(input);
    await provider.acquire(input);
    await provider.acquire({ ...input, attempt: 2 });
    const tokens = client.calls('RequestSpotFleetCommand').map((call) => call.SpotFleetRequestConfig.ClientToken);
    expect(tokens).toEqual([clientToken('req-1', 1), clientToken('req-1', 1), clientToken('req-1', 2)]);
  });

  it('rejects a count that is not a positive integer', async () => {
    const { client, provider } = setup();
    await expect(provider.acquire({ request: aRequest(), template: spotTemplate(), count: 0, attempt: 1, deadline: DEADLINE })).rejects.toMatchObject(
      { code: 'INVALID_INPUT' },
    );
    expect(client.sent).toEqual([]);
  });

  it.each([
    ['InsufficientInstanceCapacity', 'INSUFFICIENT_CAPACITY'],
    ['RequestLimitExceeded', 'THROTTLED'],
    ['UnauthorizedOperation', 'AUTH_ERROR'],
    ['MaxSpotFleetRequestCountExceeded', 'QUOTA_EXCEEDED'],
    ['InvalidSpotFleetRequestConfig', 'PROVIDER_ERROR'],
  ])('maps a RequestSpotFleet %s error to %s', async (awsCode, code) => {
    const client = new FakeAwsClient().on('RequestSpotFleetCommand', () => {
      throw awsError(awsCode);
    });
    const { provider } = setup(client);
    await expect(provider.acquire({ request: aRequest(), template: spotTemplate(), count: 1, attempt: 1, deadline: DEADLINE })).rejects.toMatchObject(
      { code, details: { action: 'RequestSpotFleet', awsErrorCode: awsCode } },
    );
  });

  it('a next attempt keeps every fleet id and cancels the earlier live fleets without their instances', async () => {
    const { world } = worldSetup();
    world.addFleet({ id: 'sfr-old', state: 'active', activity: 'error', target: 3, fulfilled: 1 });
    world.addFleet({ id: 'sfr-older', state: 'cancelled_running', target: 1, fulfilled: 0 });
    world.client.on('RequestSpotFleetCommand', () => ({ SpotFleetRequestId: 'sfr-new' }));
    const provider = new SpotFleetProvider(world.client, new FakeLaunchTemplates(), { providerName: 'aws', clock: new FixedClock(NOW) });
    const request = fleetRequest('sfr-older,sfr-old');
    const result = await provider.acquire({ request, template: spotTemplate(), count: 2, attempt: 3, deadline: DEADLINE });
    expect(result.providerData).toMatchObject({ spotFleetRequestId: 'sfr-new', spotFleetRequestIds: 'sfr-older,sfr-old,sfr-new' });
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-old'], TerminateInstances: false }]);
    expect(spotFleetIdsOf({ ...request, providerData: { ...request.providerData, ...result.providerData } })).toEqual([
      'sfr-older',
      'sfr-old',
      'sfr-new',
    ]);
  });

  it('a repeated attempt whose fleet is already recorded cancels nothing', async () => {
    const { client, provider } = setup();
    await provider.acquire({ request: fleetRequest('sfr-1'), template: spotTemplate(), count: 1, attempt: 1, deadline: DEADLINE });
    expect(client.calls('CancelSpotFleetRequestsCommand')).toEqual([]);
    expect(client.calls('DescribeSpotFleetRequestsCommand')).toEqual([]);
  });
});

describe('SpotFleetProvider.describe', () => {
  it('finds the fleets instances in one batched pass, tags the untagged ones with the request tags, and keeps tagged ones', async () => {
    const { world, provider } = worldSetup();
    world.pageSize = 1; // DescribeSpotFleetInstances pages are followed
    world.addFleet({ id: 'sfr-1', activity: 'fulfilled', target: 2, fulfilled: 2, members: ['i-a', 'i-b'] });
    world.addFleet({ id: 'sfr-2', activity: 'pending_fulfillment', target: 2, fulfilled: 1, members: ['i-c'] });
    world.addInstance({ id: 'i-a', lifecycle: 'spot', tags: [{ Key: 'hf:template-id', Value: 'Spot-T' }] });
    world.addInstance({ id: 'i-b', tags: [{ Key: 'hf:request-id', Value: 'req-1' }] });
    world.addInstance({ id: 'i-c' });
    world.addInstance({ id: 'i-asked', tags: [{ Key: 'hf:request-id', Value: 'req-9' }] });
    const first = fleetRequest('sfr-1');
    const second = aRequest({ requestId: 'req-2', providerData: { spotFleetRequestId: 'sfr-2', instanceTags: 'x=y' } });

    const view = await provider.describe({
      requests: [first, second],
      machines: [aMachine({ machineId: 'i-asked', requestId: 'req-9' }), aMachine({ machineId: 'i-gone', requestId: 'req-9' })],
    });

    expect(world.client.calls('DescribeSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-1', 'sfr-2'] }]);
    expect(world.client.calls('DescribeSpotFleetInstancesCommand')).toEqual([
      { SpotFleetRequestId: 'sfr-1' },
      { SpotFleetRequestId: 'sfr-1', NextToken: '1' },
      { SpotFleetRequestId: 'sfr-2' },
    ]);
    expect(world.client.calls('CreateTagsCommand')).toEqual([
      { Resources: ['i-a'], Tags: claimTags('req-1', { team: 'hpc' }) },
      { Resources: ['i-c'], Tags: claimTags('req-2', { x: 'y' }) },
    ]);
    const byId = new Map(view.observations.map((o) => [o.machineId, o]));
    expect(byId.get('i-a')).toMatchObject({ requestId: 'req-1', templateId: 'Spot-T', priceType: 'spot', state: 'running' });
    expect(byId.get('i-b')).toMatchObject({ requestId: 'req-1' });
    expect(byId.get('i-c')).toMatchObject({ requestId: 'req-2', templateId: 'Spot-T' });
    expect(byId.get('i-asked')).toMatchObject({ requestId: 'req-9' });
    expect(view.missing).toEqual(['i-gone']);
    expect(view.fulfilment).toEqual(
      new Map([
        ['req-1', { state: 'settled' }],
        ['req-2', { state: 'fulfilling' }],
      ]),
    );
    // A second poll finds every instance tagged: no more CreateTags.
    await provider.describe({ requests: [first, second], machines: [] });
    expect(world.client.calls('CreateTagsCommand')).toHaveLength(2);
  });

  it.each([
    ['active, pending_fulfillment', 'fulfilling', { state: 'active', activity: 'pending_fulfillment', target: 2, fulfilled: 1 }],
    ['submitted, no activity yet', 'fulfilling', { state: 'submitted', target: 2, fulfilled: 0 }],
    ['modifying, short, no activity', 'fulfilling', { state: 'modifying', target: 2, fulfilled: 1 }],
    ['active, fulfilled', 'settled', { state: 'active', activity: 'fulfilled', target: 2, fulfilled: 2 }],
    ['active, no activity, fulfilled capacity', 'settled', { state: 'active', target: 2, fulfilled: 2 }],
    ['active, error', 'settled', { state: 'active', activity: 'error', target: 2, fulfilled: 1 }],
    ['active, pending_termination', 'settled', { state: 'active', activity: 'pending_termination', target: 1, fulfilled: 2 }],
    ['past ValidUntil', 'settled', { state: 'active', activity: 'pending_fulfillment', target: 2, fulfilled: 1, validUntil: new Date(NOW - 1) }],
    ['cancelled_running', 'settled', { state: 'cancelled_running', target: 2, fulfilled: 1 }],
    ['cancelled_terminating', 'settled', { state: 'cancelled_terminating', target: 2, fulfilled: 1 }],
    ['cancelled', 'settled', { state: 'cancelled', target: 2, fulfilled: 0 }],
    ['failed', 'settled', { state: 'failed', target: 2, fulfilled: 0 }],
  ])('fulfilment of a fleet %s is %s', async (_label, state, fleet) => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', ...fleet });
    const view = await provider.describe({ requests: [fleetRequest('sfr-1')], machines: [] });
    expect(view.fulfilment?.get('req-1')?.state).toBe(state);
  });

  it('is fulfilling while any fleet of the request still fills', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', state: 'cancelled_running', target: 2, fulfilled: 1 });
    world.addFleet({ id: 'sfr-2', activity: 'pending_fulfillment', target: 1, fulfilled: 0 });
    const view = await provider.describe({ requests: [fleetRequest('sfr-1,sfr-2')], machines: [] });
    expect(view.fulfilment?.get('req-1')).toEqual({ state: 'fulfilling' });
  });

  it('explains a settled short fleet with its error events from the fleet history', async () => {
    const { world, provider } = worldSetup();
    const created = new Date(NOW - 120_000);
    world.addFleet({ id: 'sfr-1', activity: 'error', target: 3, fulfilled: 1, createTime: created });
    world.client.on('DescribeSpotFleetRequestHistoryCommand', () => ({
      HistoryRecords: [
        { EventType: 'error', EventInformation: { EventSubType: 'launchSpecUnusable', EventDescription: 'price too low' } },
        { EventType: 'error', EventInformation: { EventSubType: 'iamFleetRoleInvalid' } },
      ],
    }));
    const view = await provider.describe({ requests: [fleetRequest('sfr-1')], machines: [] });
    expect(view.fulfilment?.get('req-1')).toEqual({ state: 'settled', reason: 'launchSpecUnusable: price too low; iamFleetRoleInvalid' });
    expect(world.client.calls('DescribeSpotFleetRequestHistoryCommand')).toEqual([
      { SpotFleetRequestId: 'sfr-1', EventType: 'error', StartTime: created },
    ]);
  });

  it('falls back to the fleet state and activity when the history cannot say, and asks no history of a full fleet', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', state: 'cancelled_running', activity: 'error', target: 3, fulfilled: 1 });
    world.addFleet({ id: 'sfr-2', state: 'active', activity: 'fulfilled', target: 1, fulfilled: 1 });
    world.client.on('DescribeSpotFleetRequestHistoryCommand', () => {
      throw awsError('UnauthorizedOperation');
    });
    const second = aRequest({ requestId: 'req-2', providerData: { spotFleetRequestId: 'sfr-2' } });
    const view = await provider.describe({ requests: [fleetRequest('sfr-1'), second], machines: [] });
    expect(view.fulfilment?.get('req-1')).toEqual({
      state: 'settled',
      reason: 'Spot Fleet sfr-1 is cancelled_running (error): 1 of 3 units fulfilled',
    });
    expect(view.fulfilment?.get('req-2')).toEqual({ state: 'settled' });
    expect(world.client.calls('DescribeSpotFleetRequestHistoryCommand')).toHaveLength(1);
    expect(world.client.calls('DescribeSpotFleetRequestHistoryCommand')[0].StartTime).toEqual(new Date(NOW - 60_000));
  });

  it('looks fleets up one by one when EC2 does not know one of the batch, and settles requests whose fleet is gone', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', activity: 'pending_fulfillment', target: 2, fulfilled: 0 });
    const gone = aRequest({ requestId: 'req-2', providerData: { spotFleetRequestId: 'sfr-gone' } });
    const view = await provider.describe({ requests: [fleetRequest('sfr-1'), gone], machines: [] });
    expect(world.client.calls('DescribeSpotFleetRequestsCommand')).toEqual([
      { SpotFleetRequestIds: ['sfr-1', 'sfr-gone'] },
      { SpotFleetRequestIds: ['sfr-1'] },
      { SpotFleetRequestIds: ['sfr-gone'] },
    ]);
    expect(view.fulfilment?.get('req-1')).toEqual({ state: 'fulfilling' });
    expect(view.fulfilment?.get('req-2')).toEqual({ state: 'settled' });
    expect(world.client.calls('DescribeSpotFleetInstancesCommand')).toEqual([{ SpotFleetRequestId: 'sfr-1' }]);
  });

  it('asks EC2 no fleet question for requests without a fleet, and reports no fulfilment for them', async () => {
    const { world, provider } = worldSetup();
    world.addInstance({ id: 'i-1', tags: [{ Key: 'hf:request-id', Value: 'req-1' }] });
    const view = await provider.describe({ requests: [aRequest()], machines: [] });
    expect(world.client.calls('DescribeSpotFleetRequestsCommand')).toEqual([]);
    expect(view.observations.map((o) => o.machineId)).toEqual(['i-1']);
    expect(view.fulfilment?.size).toBe(0);
  });

  it('passes a throttled DescribeSpotFleetRequests on as THROTTLED', async () => {
    const client = new FakeAwsClient().on('DescribeSpotFleetRequestsCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    const { provider } = setup(client);
    await expect(provider.describe({ requests: [fleetRequest('sfr-1')], machines: [] })).rejects.toMatchObject({ code: 'THROTTLED' });
  });
});

describe('SpotFleetProvider.release', () => {
  const machine = (id: string, extra: Partial<Parameters<typeof aMachine>[0]> = {}) =>
    aMachine({ machineId: id, requestId: 'req-1', providerApi: 'SpotFleet', priceType: 'spot', ...extra });

  it('maintain: returning every machine it holds cancels the fleet with its instances in one call (nothing lowered first)', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'maintain', target: 3, onDemandTarget: 1, fulfilled: 3, members: ['i-1', 'i-2'] });
    world.addInstance({ id: 'i-1', type: 'm5.xlarge' });
    world.addInstance({ id: 'i-2', type: 'm5.large' });
    const request = fleetRequest('sfr-1', { spotFleetType: 'maintain' });
    await provider.release([machine('i-1', { weight: 2 }), machine('i-2', { weight: 1, priceType: 'ondemand' })], [request]);

    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-1'], TerminateInstances: true }]);
    expect(world.client.calls('ModifySpotFleetRequestCommand')).toEqual([]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([]);
    expect([...world.instances.values()].map((i) => i.state)).toEqual(['terminated', 'terminated']);
  });

  it('maintain: a partial return lowers the target (on-demand part within it) before terminating', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'maintain', target: 4, onDemandTarget: 1, fulfilled: 4, members: ['i-1', 'i-2', 'i-3'] });
    for (const id of ['i-1', 'i-2', 'i-3']) world.addInstance({ id });
    const request = fleetRequest('sfr-1', { spotFleetType: 'maintain' });
    await provider.release([machine('i-1', { weight: 2 }), machine('i-2', { weight: 1, priceType: 'ondemand' })], [request]);

    expect(world.client.calls('ModifySpotFleetRequestCommand')).toEqual([
      { SpotFleetRequestId: 'sfr-1', TargetCapacity: 1, ExcessCapacityTerminationPolicy: 'noTermination', OnDemandTargetCapacity: 0 },
    ]);
    const names = world.client.sent.map((command) => command.name);
    expect(names.indexOf('ModifySpotFleetRequestCommand')).toBeLessThan(names.indexOf('TerminateInstancesCommand'));
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1', 'i-2'] }]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([]);
  });

  it('maintain: a partial release lowers the target and keeps the fleet; releasing again lowers nothing more', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', target: 3, onDemandTarget: 3, fulfilled: 3, members: ['i-1', 'i-2', 'i-3'] });
    for (const id of ['i-1', 'i-2', 'i-3']) world.addInstance({ id });
    // No Type from EC2 here: the type recorded on the request decides.
    const request = fleetRequest('sfr-1', { spotFleetType: 'maintain' });
    await provider.release([machine('i-1', { priceType: 'ondemand' })], [request]);
    expect(world.client.calls('ModifySpotFleetRequestCommand')).toEqual([
      { SpotFleetRequestId: 'sfr-1', TargetCapacity: 2, ExcessCapacityTerminationPolicy: 'noTermination', OnDemandTargetCapacity: 2 },
    ]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([]);

    await provider.release([machine('i-1')], [request]);
    expect(world.client.calls('ModifySpotFleetRequestCommand')).toHaveLength(1);
    expect(world.fleets.get('sfr-1')?.target).toBe(2);
  });

  it('maintain: keeps OnDemandTargetCapacity no higher than the lowered target', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'maintain', target: 4, onDemandTarget: 4, fulfilled: 4, members: ['i-1', 'i-2'] });
    world.addInstance({ id: 'i-1' });
    world.addInstance({ id: 'i-2' });
    await provider.release([machine('i-1', { weight: 3, priceType: 'spot' })], [fleetRequest('sfr-1')]);
    expect(world.client.calls('ModifySpotFleetRequestCommand')[0]).toMatchObject({ TargetCapacity: 1, OnDemandTargetCapacity: 1 });
  });

  it('request: terminates without touching the target, then cancels the fleet with its last machine', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'request', activity: 'fulfilled', target: 2, fulfilled: 2, members: ['i-1', 'i-2'] });
    world.addInstance({ id: 'i-1' });
    world.addInstance({ id: 'i-2' });
    const request = fleetRequest('sfr-1', { spotFleetType: 'request' });

    await provider.release([machine('i-1')], [request]);
    expect(world.client.calls('ModifySpotFleetRequestCommand')).toEqual([]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([]);

    // The last machine: the fleet goes with it, in one call.
    await provider.release([machine('i-2')], [request]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-1'], TerminateInstances: true }]);

    // Idempotent: the fleet is cancelled, the machines terminated; a repeat cancels nothing new.
    await provider.release([machine('i-1'), machine('i-2')], [request]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toHaveLength(1);
    expect(world.client.calls('ModifySpotFleetRequestCommand')).toEqual([]);
  });

  it('request: a fleet still filling whose every machine is returned is cancelled with its instances (it would launch for nothing HF holds)', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'request', activity: 'pending_fulfillment', target: 3, fulfilled: 1, members: ['i-1'] });
    world.addInstance({ id: 'i-1' });
    await provider.release([machine('i-1')], [fleetRequest('sfr-1')]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-1'], TerminateInstances: true }]);
  });

  it('request: a fleet still filling is kept while HF holds another of its machines', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', type: 'request', activity: 'pending_fulfillment', target: 3, fulfilled: 2, members: ['i-1', 'i-2'] });
    world.addInstance({ id: 'i-1' });
    world.addInstance({ id: 'i-2' });
    await provider.release([machine('i-1')], [fleetRequest('sfr-1')]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([]);
  });

  it('terminates machines of requests without a fleet (and unknown ids) and asks nothing about fleets', async () => {
    const { world, provider } = worldSetup();
    world.addInstance({ id: 'i-1' });
    await provider.release([machine('i-1'), machine('i-dead')], [aRequest()]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1', 'i-dead'] }]);
    expect(world.client.calls('DescribeSpotFleetRequestsCommand')).toEqual([]);
  });

  it('does nothing for no machines', async () => {
    const { world, provider } = worldSetup();
    await provider.release([], [fleetRequest('sfr-1')]);
    expect(world.client.sent).toEqual([]);
  });

  it('fails with PROVIDER_ERROR when EC2 cannot cancel a fleet for a reason other than it being gone', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', activity: 'fulfilled', target: 1, fulfilled: 1, members: ['i-1'] });
    world.addInstance({ id: 'i-1' });
    world.client.on('CancelSpotFleetRequestsCommand', () => ({
      UnsuccessfulFleetRequests: [{ SpotFleetRequestId: 'sfr-1', Error: { Code: 'unexpectedError', Message: 'boom' } }],
    }));
    await expect(provider.release([machine('i-1')], [fleetRequest('sfr-1')])).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      transient: true,
    });
  });
});

describe('SpotFleetProvider.abandon', () => {
  it('cancels the request live fleets without terminating their instances; a repeat is harmless', async () => {
    const { world, provider } = worldSetup();
    world.addFleet({ id: 'sfr-1', state: 'cancelled_running', target: 1, fulfilled: 0 });
    world.addFleet({ id: 'sfr-2', type: 'maintain', activity: 'error', target: 4, fulfilled: 2, members: ['i-1'] });
    world.addInstance({ id: 'i-1' });
    const request = fleetRequest('sfr-1,sfr-2');
    await provider.abandon(request, [aMachine({ machineId: 'i-1', requestId: 'req-1' })]);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-2'], TerminateInstances: false }]);
    expect(world.client.calls('TerminateInstancesCommand')).toEqual([]);
    expect(world.instances.get('i-1')?.state).toBe('running');

    await provider.abandon(request, []);
    expect(world.client.calls('CancelSpotFleetRequestsCommand')).toHaveLength(1);
  });

  it('makes no call for a request that has no fleet', async () => {
    const { world, provider } = worldSetup();
    await provider.abandon(aRequest(), []);
    expect(world.client.sent).toEqual([]);
  });
});

/** The tags a claimed Spot Fleet instance gets, spelt out. */
function claimTags(requestId: string, own: Record<string, string>): { Key: string; Value: string }[] {
  return [
    { Key: 'Name', Value: `hf-aws-${requestId}` },
    ...Object.entries(own).map(([Key, Value]) => ({ Key, Value })),
    { Key: 'hf:request-id', Value: requestId },
    { Key: 'hf:template-id', Value: 'Spot-T' },
    { Key: 'hf:provider-name', Value: 'aws' },
    { Key: 'hf:provider-api', Value: 'SpotFleet' },
  ];
}

describe('SpotFleetProvider: replayed attempts, inventory, dispose', () => {
  const tags = (requestId: string, attempt: number, provider = 'aws'): { Key: string; Value: string }[] => [
    { Key: 'hf:request-id', Value: requestId },
    { Key: 'hf:provider-name', Value: provider },
    { Key: 'hf:launch-attempt', Value: String(attempt) },
  ];

  it('a replayed attempt finds the Spot Fleet request its dead caller made, by its tags, and requests none', async () => {
    const client = new FakeAwsClient().on('DescribeSpotFleetRequestsCommand', () => ({
      SpotFleetRequestConfigs: [
        { SpotFleetRequestId: 'sfr-foreign', SpotFleetRequestState: 'active', Tags: tags('req-1', 1, 'other') },
        { SpotFleetRequestId: 'sfr-made', SpotFleetRequestState: 'active', Tags: tags('req-1', 1) },
      ],
    }));
    const { provider } = setup(client);
    const result = await provider.acquire({ request: aRequest(), template: spotTemplate(), count: 2, attempt: 1, deadline: DEADLINE, replay: true });
    expect(client.calls('RequestSpotFleetCommand')).toEqual([]);
    expect(result.providerData).toMatchObject({ spotFleetRequestId: 'sfr-made' });
  });

  it('lists live Spot Fleet requests of this provider instance and cancels them with their instances', async () => {
    const client = new FakeAwsClient()
      .on('DescribeSpotFleetRequestsCommand', (input) =>
        input.SpotFleetRequestIds
          ? { SpotFleetRequestConfigs: [{ SpotFleetRequestId: 'sfr-mine', SpotFleetRequestState: 'active' }] }
          : {
              SpotFleetRequestConfigs: [
                { SpotFleetRequestId: 'sfr-mine', SpotFleetRequestState: 'active', Tags: tags('req-1', 1) },
                { SpotFleetRequestId: 'sfr-old', SpotFleetRequestState: 'cancelled', Tags: tags('req-2', 1) },
              ],
            },
      )
      .on('DescribeSpotFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }] }))
      .on('CancelSpotFleetRequestsCommand', () => ({ SuccessfulFleetRequests: [] }));
    const { provider } = setup(client);
    const inventory = await provider.inventory();
    expect(inventory.holders).toEqual([{ api: 'SpotFleet', kind: 'Spot Fleet request', id: 'sfr-mine', requestId: 'req-1', instanceIds: ['i-1'] }]);
    await provider.dispose(inventory.holders);
    expect(client.calls('CancelSpotFleetRequestsCommand')).toEqual([{ SpotFleetRequestIds: ['sfr-mine'], TerminateInstances: true }]);
  });
});

describe('SpotFleetProvider.dispose', () => {
  it('cancels a request holding instances with them, and an empty one without terminating anything', async () => {
    const client = new FakeAwsClient()
      .on('DescribeSpotFleetRequestsCommand', () => ({
        SpotFleetRequestConfigs: [
          { SpotFleetRequestId: 'sfr-full', SpotFleetRequestState: 'active' },
          { SpotFleetRequestId: 'sfr-empty', SpotFleetRequestState: 'active' },
        ],
      }))
      .on('CancelSpotFleetRequestsCommand', () => ({ SuccessfulFleetRequests: [] }));
    const { provider } = setup(client);
    await provider.dispose([
      { api: 'SpotFleet', kind: 'Spot Fleet request', id: 'sfr-full', instanceIds: ['i-1'] },
      { api: 'SpotFleet', kind: 'Spot Fleet request', id: 'sfr-empty', instanceIds: [] },
    ]);
    expect(client.calls('CancelSpotFleetRequestsCommand')).toEqual([
      { SpotFleetRequestIds: ['sfr-full'], TerminateInstances: true },
      { SpotFleetRequestIds: ['sfr-empty'], TerminateInstances: false },
    ]);
  });
});

describe('SpotFleetProvider.preflight', () => {
  const allowed = () => {
    throw awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  };

  it('sends the RequestSpotFleet acquire would send, for one unit of a one-time request, with DryRun and no ClientToken', async () => {
    const { client, provider } = setup(new FakeAwsClient().on('RequestSpotFleetCommand', allowed));
    expect(await provider.preflight(spotTemplate({ fleetType: 'maintain' }))).toEqual({
      checked: ['launch template lt-0abc version 4', 'RequestSpotFleet DryRun'],
      problems: [],
    });
    const sent = client.calls('RequestSpotFleetCommand')[0];
    expect(sent.DryRun).toBe(true);
    expect(sent.SpotFleetRequestConfig).toMatchObject({ IamFleetRole: ROLE, TargetCapacity: 1, Type: 'request' });
    expect(sent.SpotFleetRequestConfig).not.toHaveProperty('ClientToken');
  });

  it('a template without fleetRole fails on that field, with no call', async () => {
    const { client, provider } = setup(new FakeAwsClient());
    const result = await provider.preflight(spotTemplate({ fleetRole: undefined }));
    expect(result.problems).toEqual([expect.objectContaining({ severity: 'fail', field: 'fleetRole' })]);
    expect(client.calls('RequestSpotFleetCommand')).toHaveLength(0);
  });

  it('a fleet made by an endpoint ignoring DryRun (moto does) warns and is cancelled with its instances', async () => {
    const client = new FakeAwsClient()
      .on('RequestSpotFleetCommand', () => ({ SpotFleetRequestId: 'sfr-dry' }))
      .on('CancelSpotFleetRequestsCommand', () => ({ SuccessfulFleetRequests: [{ SpotFleetRequestId: 'sfr-dry' }] }));
    const { provider } = setup(client);
    expect((await provider.preflight(spotTemplate())).problems).toEqual([
      { severity: 'warn', field: 'template', message: expect.stringContaining('ignores DryRun') },
    ]);
    expect(client.calls('CancelSpotFleetRequestsCommand')[0]).toEqual({ SpotFleetRequestIds: ['sfr-dry'], TerminateInstances: true });
  });
});
