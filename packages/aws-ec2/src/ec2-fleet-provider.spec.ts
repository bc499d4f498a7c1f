import type { Instance } from '@aws-sdk/client-ec2';
import { FixedClock, InMemoryStateStore, aMachine, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { StoredUnavailablePools, type Request, type Template } from '@open-hostfactory/core';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { fleetIdsOf } from './ec2-fleet-api';
import { Ec2FleetProvider, targetCapacity } from './ec2-fleet-provider';
import type { LaunchTemplates } from './launch-templates';
import { clientToken } from './run-instances-provider';

const NOW = 1_800_000_000_000;
const DEADLINE = NOW + 3_600_000;
const clock = { now: (): number => NOW };
const REQ = 'req-00000000-0000-4000-8000-000000000001';

const launchTemplates = {
  ensure: jest.fn(async () => ({ launchTemplateId: 'lt-1', version: '3' })),
  preflight: jest.fn(async () => ({ ref: { launchTemplateId: 'lt-1', version: '3' }, checked: ['launch template lt-1 version 3'], problems: [] })),
} as unknown as LaunchTemplates;

function template(overrides: Partial<Template> = {}): Template {
  return aTemplate({
    templateId: 'T1',
    providerApi: 'EC2Fleet',
    subnetIds: ['subnet-a', 'subnet-b'],
    vmType: undefined,
    vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 },
    instanceTags: { team: 'hpc' },
    ...overrides,
  });
}

function instance(id: string, overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    InstanceType: 'm5.large',
    State: { Name: 'running' },
    PrivateIpAddress: '10.0.0.1',
    PrivateDnsName: `ip-${id}.ec2.internal`,
    LaunchTime: new Date(NOW),
    Tags: [],
    ...overrides,
  } as Instance;
}

/** A fake EC2 whose DescribeInstances answers from `instances` by instance-id / request-tag filter. */
function fakeEc2(instances: Instance[] = []): FakeAwsClient {
  return new FakeAwsClient().on('DescribeInstancesCommand', (input) => {
    const filter = input.Filters[0];
    const values: string[] = filter.Values;
    const hits = instances.filter((i) =>
      filter.Name === 'instance-id'
        ? values.includes(i.InstanceId as string)
        : (i.Tags ?? []).some((t) => `tag:${t.Key}` === filter.Name && values.includes(t.Value as string)),
    );
    return { Reservations: [{ Instances: hits }] };
  });
}

function provider(client: FakeAwsClient): Ec2FleetProvider {
  return new Ec2FleetProvider(client, launchTemplates, { providerName: 'aws', clock });
}

function fleetRequest(fleetType: string, fleetIds = 'fleet-1', overrides: Partial<Request> = {}): Request {
  return anAcquireRequest({
    requestId: REQ,
    templateId: 'T1',
    providerApi: 'EC2Fleet',
    providerData: { fleetIds, fleetType, instanceTags: 'team=hpc' },
    ...overrides,
  });
}

describe('Ec2FleetProvider.acquire', () => {
  it('instant on-demand: one fleet with instance types x subnets, weights, tags and the request token', async () => {
    const client = fakeEc2([instance('i-1'), instance('i-2', { InstanceType: 'm5.xlarge' })]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [
        { InstanceIds: ['i-1'], InstanceType: 'm5.large', Lifecycle: 'on-demand' },
        { InstanceIds: ['i-2'], InstanceType: 'm5.xlarge', Lifecycle: 'on-demand' },
      ],
    }));
    const request = anAcquireRequest({ requestId: REQ, templateId: 'T1' });
    const result = await provider(client).acquire({ request, template: template(), count: 3, attempt: 2, deadline: DEADLINE });

    const tags = [
      { Key: 'Name', Value: `hf-aws-${REQ}` },
      { Key: 'team', Value: 'hpc' },
      { Key: 'hf:request-id', Value: REQ },
      { Key: 'hf:template-id', Value: 'T1' },
      { Key: 'hf:provider-name', Value: 'aws' },
      { Key: 'hf:provider-api', Value: 'EC2Fleet' },
      { Key: 'hf:launch-attempt', Value: '2' },
    ];
    expect(client.calls('CreateFleetCommand')).toEqual([
      {
        Type: 'instant',
        ClientToken: clientToken(REQ, 2),
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '3' },
            Overrides: [
              { InstanceType: 'm5.large', SubnetId: 'subnet-a', WeightedCapacity: 1 },
              { InstanceType: 'm5.large', SubnetId: 'subnet-b', WeightedCapacity: 1 },
              { InstanceType: 'm5.xlarge', SubnetId: 'subnet-a', WeightedCapacity: 2 },
              { InstanceType: 'm5.xlarge', SubnetId: 'subnet-b', WeightedCapacity: 2 },
            ],
          },
        ],
        TargetCapacitySpecification: {
          TotalTargetCapacity: 3,
          OnDemandTargetCapacity: 3,
          SpotTargetCapacity: 0,
          DefaultTargetCapacityType: 'on-demand',
        },
        // No strategy in the template: an explicit one, never EC2's legacy default.
        OnDemandOptions: { AllocationStrategy: 'lowest-price' },
        TagSpecifications: [
          { ResourceType: 'fleet', Tags: tags },
          { ResourceType: 'instance', Tags: tags },
        ],
      },
    ]);
    expect(result.providerData).toEqual({ fleetIds: 'fleet-1', fleetType: 'instant', instanceTags: 'team=hpc' });
    expect(result.machines.map((m) => [m.machineId, m.requestId, m.templateId, m.instanceType, m.state])).toEqual([
      ['i-1', REQ, 'T1', 'm5.large', 'running'],
      ['i-2', REQ, 'T1', 'm5.xlarge', 'running'],
    ]);
    expect(result.shortfallReason).toBeUndefined();
  });

  it('without weights no WeightedCapacity; without subnets one override per type', async () => {
    const client = fakeEc2([instance('i-1')]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [{ InstanceIds: ['i-1'], InstanceType: 't3.medium' }],
    }));
    await provider(client).acquire({
      request: anAcquireRequest(),
      template: template({ vmType: 't3.medium', vmTypes: undefined, subnetIds: [] }),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(client.calls('CreateFleetCommand')[0].LaunchTemplateConfigs[0].Overrides).toEqual([{ InstanceType: 't3.medium' }]);
  });

  it('spot: allocation strategy mapped, MaxPrice per unit on each override, priorities for prioritized strategies', async () => {
    const client = fakeEc2().on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [],
      Errors: [{ ErrorCode: 'InsufficientInstanceCapacity', ErrorMessage: 'none' }],
    }));
    const cases: [string, string][] = [
      ['capacityOptimized', 'capacity-optimized'],
      ['capacityOptimizedPrioritized', 'capacity-optimized-prioritized'],
      ['diversified', 'diversified'],
      ['lowestPrice', 'lowest-price'],
      ['priceCapacityOptimized', 'price-capacity-optimized'],
    ];
    for (const [strategy, api] of cases) {
      await expect(
        provider(client).acquire({
          request: anAcquireRequest(),
          template: template({ priceType: 'spot', allocationStrategy: strategy, maxSpotPrice: 0.1, subnetIds: ['subnet-a'] }),
          count: 4,
          attempt: 1,
          deadline: DEADLINE,
        }),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_CAPACITY' });
      const sent = client.calls('CreateFleetCommand').at(-1);
      expect(sent.SpotOptions).toEqual({ AllocationStrategy: api });
      expect(sent.OnDemandOptions).toBeUndefined();
      expect(sent.TargetCapacitySpecification).toEqual({
        TotalTargetCapacity: 4,
        OnDemandTargetCapacity: 0,
        SpotTargetCapacity: 4,
        DefaultTargetCapacityType: 'spot',
      });
      const prioritized = api === 'capacity-optimized-prioritized';
      expect(sent.LaunchTemplateConfigs[0].Overrides).toEqual([
        { InstanceType: 'm5.large', SubnetId: 'subnet-a', WeightedCapacity: 1, MaxPrice: '0.1', ...(prioritized ? { Priority: 0 } : {}) },
        { InstanceType: 'm5.xlarge', SubnetId: 'subnet-a', WeightedCapacity: 2, MaxPrice: '0.05', ...(prioritized ? { Priority: 1 } : {}) },
      ]);
    }
  });

  it('on-demand allocation strategies map to lowest-price / prioritized (with priorities)', async () => {
    const client = fakeEc2([instance('i-1')]).on('CreateFleetCommand', () => ({ FleetId: 'f', Instances: [{ InstanceIds: ['i-1'] }] }));
    for (const [strategy, api] of [
      ['lowestPrice', 'lowest-price'],
      ['prioritized', 'prioritized'],
    ]) {
      await provider(client).acquire({
        request: anAcquireRequest(),
        template: template({ allocationStrategyOnDemand: strategy, allocationStrategy: 'lowestPrice', subnetIds: ['subnet-a'] }),
        count: 1,
        attempt: 1,
        deadline: DEADLINE,
      });
      const sent = client.calls('CreateFleetCommand').at(-1);
      expect(sent.OnDemandOptions).toEqual({ AllocationStrategy: api });
      expect(sent.SpotOptions).toBeUndefined(); // no spot capacity asked
      expect(sent.LaunchTemplateConfigs[0].Overrides[1].Priority).toBe(api === 'prioritized' ? 1 : undefined);
    }
  });

  it('rejects unknown allocation strategies before any fleet call', async () => {
    const client = fakeEc2();
    await expect(
      provider(client).acquire({
        request: anAcquireRequest(),
        template: template({ priceType: 'spot', allocationStrategy: 'cheapest' }),
        count: 1,
        attempt: 1,
        deadline: DEADLINE,
      }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    await expect(
      provider(client).acquire({
        request: anAcquireRequest(),
        template: template({ allocationStrategyOnDemand: 'diversified' }),
        count: 1,
        attempt: 1,
        deadline: DEADLINE,
      }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    await expect(
      provider(client).acquire({ request: anAcquireRequest(), template: template(), count: 0, attempt: 1, deadline: DEADLINE }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(client.calls('CreateFleetCommand')).toEqual([]);
  });

  it('vmTypesPriority: Priority per override as stated, prioritized strategies by default', async () => {
    const client = fakeEc2().on('CreateFleetCommand', (_input, call) => ({ FleetId: `fleet-${call + 1}` }));
    const ranked = template({ fleetType: 'request', priceType: 'spot', subnetIds: ['subnet-a'], vmTypesPriority: { 'm5.xlarge': 0, 'm5.large': 1 } });
    await provider(client).acquire({ request: anAcquireRequest(), template: ranked, count: 2, attempt: 1, deadline: DEADLINE });
    const [sent] = client.calls('CreateFleetCommand');
    expect(sent.LaunchTemplateConfigs[0].Overrides.map((o: { InstanceType: string; Priority: number }) => [o.InstanceType, o.Priority])).toEqual([
      ['m5.large', 1],
      ['m5.xlarge', 0],
    ]);
    expect(sent.SpotOptions).toEqual({ AllocationStrategy: 'capacity-optimized-prioritized' });
  });

  it('instant fleets of a template with a Capacity Reservation use reservations first; request fleets cannot say so', async () => {
    const client = fakeEc2([instance('i-1')]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [{ InstanceIds: ['i-1'], InstanceType: 'm5.large' }],
    }));
    const reserved = template({ priceType: 'ondemand', capacityReservationId: 'cr-0123' });
    await provider(client).acquire({ request: anAcquireRequest(), template: reserved, count: 1, attempt: 1, deadline: DEADLINE });
    await provider(client).acquire({
      request: anAcquireRequest(),
      template: { ...reserved, fleetType: 'request' },
      count: 1,
      attempt: 2,
      deadline: DEADLINE,
    });
    const [instant, request] = client.calls('CreateFleetCommand');
    expect(instant.OnDemandOptions).toEqual({
      AllocationStrategy: 'lowest-price',
      CapacityReservationOptions: { UsageStrategy: 'use-capacity-reservations-first' },
    });
    expect(request.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
  });

  it('instanceRequirements: one attribute-based override per subnet beside the typed ones', async () => {
    const client = fakeEc2().on('CreateFleetCommand', (_input, call) => ({ FleetId: `fleet-${call}` }));
    const requirements = { vCpuCount: { min: 2, max: 4 }, memoryMiB: { min: 4096 }, burstablePerformance: 'excluded' };
    await provider(client).acquire({
      request: anAcquireRequest(),
      template: template({ fleetType: 'request', vmTypes: { 'm5.large': 1 }, instanceRequirements: requirements }),
      count: 2,
      attempt: 1,
      deadline: DEADLINE,
    });
    await provider(client).acquire({
      request: anAcquireRequest(),
      template: template({ fleetType: 'request', vmType: undefined, vmTypes: undefined, instanceRequirements: requirements }),
      count: 2,
      attempt: 2,
      deadline: DEADLINE,
    });
    const [beside, alone] = client.calls('CreateFleetCommand').map((call) => call.LaunchTemplateConfigs[0].Overrides);
    const attributeBased = { InstanceRequirements: { VCpuCount: { Min: 2, Max: 4 }, MemoryMiB: { Min: 4096 }, BurstablePerformance: 'excluded' } };
    expect(beside).toEqual([
      { InstanceType: 'm5.large', SubnetId: 'subnet-a', WeightedCapacity: 1 },
      { InstanceType: 'm5.large', SubnetId: 'subnet-b', WeightedCapacity: 1 },
      { ...attributeBased, SubnetId: 'subnet-a' },
      { ...attributeBased, SubnetId: 'subnet-b' },
    ]);
    expect(alone).toEqual([
      { ...attributeBased, SubnetId: 'subnet-a' },
      { ...attributeBased, SubnetId: 'subnet-b' },
    ]);
  });

  it('targetCapacity puts the attempt on-demand units on-demand and the rest spot', () => {
    expect(targetCapacity(template(), 10, 3)).toEqual({
      TotalTargetCapacity: 10,
      OnDemandTargetCapacity: 3,
      SpotTargetCapacity: 7,
      DefaultTargetCapacityType: 'spot',
    });
    expect(targetCapacity(template(), 4, 4)).toMatchObject({ SpotTargetCapacity: 0, DefaultTargetCapacityType: 'on-demand' });
  });

  it('spot with percentOnDemand: that share on-demand in every fleet (IBM meaning of percentOnDemand)', async () => {
    const client = fakeEc2().on('CreateFleetCommand', (_input, call) => ({ FleetId: `fleet-${call + 1}` }));
    const spot = template({ fleetType: 'request', priceType: 'spot', percentOnDemand: 30 });
    for (const attempt of [1, 2])
      await provider(client).acquire({ request: anAcquireRequest(), template: spot, count: 10, attempt, deadline: DEADLINE });
    expect(client.calls('CreateFleetCommand').map((sent) => sent.TargetCapacitySpecification)).toEqual([
      { TotalTargetCapacity: 10, OnDemandTargetCapacity: 3, SpotTargetCapacity: 7, DefaultTargetCapacityType: 'spot' },
      { TotalTargetCapacity: 10, OnDemandTargetCapacity: 3, SpotTargetCapacity: 7, DefaultTargetCapacityType: 'spot' },
    ]);
  });

  it('heterogeneous: spot first until the spot expiry, then every later attempt the rest on-demand from vmTypesOnDemand', async () => {
    const client = fakeEc2().on('CreateFleetCommand', (_input, call) => ({ FleetId: `fleet-${call + 1}` }));
    const hetero = template({
      fleetType: 'request',
      priceType: 'heterogeneous',
      subnetIds: ['subnet-a'],
      vmTypesOnDemand: { 'c5.large': 1, 'c5.xlarge': 2 },
      spotFleetRequestExpiry: 10,
    });
    await provider(client).acquire({ request: anAcquireRequest(), template: hetero, count: 4, attempt: 1, deadline: DEADLINE });
    await provider(client).acquire({ request: anAcquireRequest(), template: hetero, count: 3, attempt: 2, deadline: DEADLINE });
    const [first, rest] = client.calls('CreateFleetCommand');
    expect(first.TargetCapacitySpecification).toEqual({
      TotalTargetCapacity: 4,
      OnDemandTargetCapacity: 0,
      SpotTargetCapacity: 4,
      DefaultTargetCapacityType: 'spot',
    });
    expect(first.LaunchTemplateConfigs[0].Overrides.map((o: { InstanceType: string }) => o.InstanceType)).toEqual(['m5.large', 'm5.xlarge']);
    expect(first.ValidUntil).toEqual(new Date(NOW + 600_000));
    expect(first.SpotOptions).toEqual({ AllocationStrategy: 'price-capacity-optimized' });
    expect(rest.TargetCapacitySpecification).toEqual({
      TotalTargetCapacity: 3,
      OnDemandTargetCapacity: 3,
      SpotTargetCapacity: 0,
      DefaultTargetCapacityType: 'on-demand',
    });
    expect(rest.LaunchTemplateConfigs[0].Overrides).toEqual([
      { InstanceType: 'c5.large', SubnetId: 'subnet-a', WeightedCapacity: 1 },
      { InstanceType: 'c5.xlarge', SubnetId: 'subnet-a', WeightedCapacity: 2 },
    ]);
    expect(rest.SpotOptions).toBeUndefined();
    expect(rest.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
    expect(rest.ValidUntil).toEqual(new Date(NOW + 600_000));
  });

  it('request and maintain fleets: ValidUntil = deadline, no instance tags at creation, fleet id kept, no machines', async () => {
    const client = fakeEc2().on('CreateFleetCommand', (_input, call) => ({ FleetId: `fleet-${call + 1}` }));
    const request = fleetRequest('request', 'fleet-1');
    const result = await provider(client).acquire({
      request,
      template: template({ fleetType: 'request' }),
      count: 2,
      attempt: 2,
      deadline: DEADLINE,
    });
    expect(result).toEqual({ machines: [], providerData: { fleetIds: 'fleet-1,fleet-2', fleetType: 'request', instanceTags: 'team=hpc' } });
    const [sent] = client.calls('CreateFleetCommand');
    expect(sent.Type).toBe('request');
    expect(sent.ValidUntil).toEqual(new Date(DEADLINE));
    expect(sent.TerminateInstancesWithExpiration).toBe(false);
    expect(sent.ReplaceUnhealthyInstances).toBeUndefined();
    expect(sent.TagSpecifications.map((t: { ResourceType: string }) => t.ResourceType)).toEqual(['fleet']);

    await provider(client).acquire({
      request: anAcquireRequest(),
      template: template({ fleetType: 'maintain' }),
      count: 2,
      attempt: 1,
      deadline: DEADLINE,
    });
    const maintain = client.calls('CreateFleetCommand')[1];
    expect(maintain).toMatchObject({
      Type: 'maintain',
      ValidUntil: new Date(DEADLINE),
      TerminateInstancesWithExpiration: false,
      ReplaceUnhealthyInstances: false,
      ExcessCapacityTerminationPolicy: 'no-termination',
    });
    expect(client.calls('DescribeInstancesCommand')).toEqual([]);
  });

  it('instant with fewer units than asked: the fleet errors become the shortfall reason', async () => {
    const client = fakeEc2([instance('i-1', { InstanceType: 'm5.xlarge' })]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [{ InstanceIds: ['i-1'], InstanceType: 'm5.xlarge' }],
      Errors: [
        { ErrorCode: 'InsufficientInstanceCapacity', ErrorMessage: 'no m5.large in us-east-1a' },
        { ErrorCode: 'InsufficientInstanceCapacity', ErrorMessage: 'no m5.large in us-east-1a' },
      ],
    }));
    const result = await provider(client).acquire({ request: anAcquireRequest(), template: template(), count: 3, attempt: 1, deadline: DEADLINE });
    expect(result.machines).toHaveLength(1);
    expect(result.shortfallReason).toBe('EC2 Fleet fleet-1 launched 2 of 3 units: InsufficientInstanceCapacity: no m5.large in us-east-1a');
  });

  it('instant: pools the fleet errors refuse are remembered; later fleets leave those overrides out, and none is sent when every pool is out', async () => {
    const pools = new StoredUnavailablePools(new InMemoryStateStore(), new FixedClock(NOW), 180);
    const refusal = (type: string, subnet: string) => ({
      ErrorCode: 'InsufficientInstanceCapacity',
      ErrorMessage: `no ${type} in ${subnet}`,
      Lifecycle: 'on-demand',
      LaunchTemplateAndOverrides: { Overrides: { InstanceType: type, SubnetId: subnet } },
    });
    const client = fakeEc2([instance('i-1', { InstanceType: 'm5.xlarge' })]).on('CreateFleetCommand', (_input, call) =>
      call === 1
        ? {
            FleetId: 'fleet-1',
            Instances: [{ InstanceIds: ['i-1'], InstanceType: 'm5.xlarge' }],
            Errors: [
              refusal('m5.large', 'subnet-a'),
              refusal('m5.large', 'subnet-b'),
              { ErrorCode: 'InvalidFleetConfiguration', ErrorMessage: 'not a pool' },
            ],
          }
        : { FleetId: `fleet-${call + 1}`, Instances: [], Errors: [refusal('m5.xlarge', 'subnet-a'), refusal('m5.xlarge', 'subnet-b')] },
    );
    const withPools = new Ec2FleetProvider(client, launchTemplates, { providerName: 'aws', clock, pools });
    await withPools.acquire({ request: anAcquireRequest(), template: template(), count: 3, attempt: 1, deadline: DEADLINE });
    await expect(
      withPools.acquire({ request: anAcquireRequest(), template: template(), count: 1, attempt: 2, deadline: DEADLINE }),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
    });
    const second = client.calls('CreateFleetCommand')[1];
    expect(
      second.LaunchTemplateConfigs[0].Overrides.map((o: { InstanceType: string; SubnetId: string }) => `${o.InstanceType}@${o.SubnetId}`),
    ).toEqual(['m5.xlarge@subnet-a', 'm5.xlarge@subnet-b']);
    await expect(
      withPools.acquire({ request: anAcquireRequest(), template: template(), count: 1, attempt: 3, deadline: DEADLINE }),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
      transient: true,
      message: expect.stringContaining(
        'every capacity pool was refused lately, none asked: m5.large on-demand in subnet-a (InsufficientInstanceCapacity: no m5.large in subnet-a)',
      ),
    });
    expect(client.calls('CreateFleetCommand')).toHaveLength(2);
    // A spot fleet of the same types still asks them: spot is another pool.
    await withPools
      .acquire({ request: anAcquireRequest(), template: template({ priceType: 'spot' }), count: 1, attempt: 4, deadline: DEADLINE })
      .catch(() => undefined);
    expect(client.calls('CreateFleetCommand')[2].LaunchTemplateConfigs[0].Overrides).toHaveLength(4);
  });

  it('instant: the shortfall reason names the pool of each fleet error', async () => {
    const client = fakeEc2([instance('i-1', { InstanceType: 'm5.xlarge' })]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [{ InstanceIds: ['i-1'], InstanceType: 'm5.xlarge' }],
      Errors: [
        {
          ErrorCode: 'InsufficientInstanceCapacity',
          ErrorMessage: 'none left',
          Lifecycle: 'spot',
          LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } },
        },
      ],
    }));
    const result = await provider(client).acquire({
      request: anAcquireRequest(),
      template: template({ priceType: 'spot' }),
      count: 3,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(result.shortfallReason).toBe(
      'EC2 Fleet fleet-1 launched 2 of 3 units: m5.large spot in subnet-a: InsufficientInstanceCapacity: none left',
    );
  });

  it('instant instances EC2 does not show yet are reported pending from the fleet answer', async () => {
    const client = fakeEc2([]).on('CreateFleetCommand', () => ({
      FleetId: 'fleet-1',
      Instances: [{ InstanceIds: ['i-9'], InstanceType: 'm5.large', Lifecycle: 'spot' }],
    }));
    const result = await provider(client).acquire({
      request: anAcquireRequest({ requestId: REQ }),
      template: template(),
      count: 1,
      attempt: 1,
      deadline: DEADLINE,
    });
    expect(result.machines).toEqual([
      expect.objectContaining({ machineId: 'i-9', requestId: REQ, templateId: 'T1', state: 'pending', priceType: 'spot', instanceType: 'm5.large' }),
    ]);
  });

  it('instant with nothing launched throws the mapped error of the fleet errors', async () => {
    const cases: [unknown[], string][] = [
      [[{ ErrorCode: 'InsufficientInstanceCapacity', ErrorMessage: 'none' }], 'INSUFFICIENT_CAPACITY'],
      [[{ ErrorCode: 'VcpuLimitExceeded', ErrorMessage: 'quota' }], 'QUOTA_EXCEEDED'],
      [[{ ErrorCode: 'InvalidParameterValue', ErrorMessage: 'bad' }], 'TEMPLATE_INVALID'],
      [[], 'INSUFFICIENT_CAPACITY'],
    ];
    for (const [errors, code] of cases) {
      const client = fakeEc2().on('CreateFleetCommand', () => ({ FleetId: 'fleet-1', Errors: errors }));
      await expect(
        provider(client).acquire({ request: anAcquireRequest(), template: template(), count: 1, attempt: 1, deadline: DEADLINE }),
      ).rejects.toMatchObject({ code, details: expect.objectContaining({ fleetId: 'fleet-1' }) });
    }
  });

  it('maps CreateFleet failures', async () => {
    const client = fakeEc2().on('CreateFleetCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    await expect(
      provider(client).acquire({ request: anAcquireRequest(), template: template(), count: 1, attempt: 1, deadline: DEADLINE }),
    ).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('the same (request, attempt) sends the same ClientToken; the next attempt another', async () => {
    const client = fakeEc2().on('CreateFleetCommand', () => ({ FleetId: 'fleet-1' }));
    const t = template({ fleetType: 'request' });
    for (const attempt of [1, 1, 2]) {
      await provider(client).acquire({ request: anAcquireRequest({ requestId: REQ }), template: t, count: 1, attempt, deadline: DEADLINE });
    }
    const tokens = client.calls('CreateFleetCommand').map((input) => input.ClientToken);
    expect(tokens).toEqual([clientToken(REQ, 1), clientToken(REQ, 1), clientToken(REQ, 2)]);
  });
});

describe('Ec2FleetProvider.describe', () => {
  const fleet = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    FleetId: 'fleet-1',
    Type: 'request',
    FleetState: 'active',
    FulfilledCapacity: 1,
    TargetCapacitySpecification: { TotalTargetCapacity: 3 },
    ValidUntil: new Date(DEADLINE),
    CreateTime: new Date(NOW - 60_000),
    ...overrides,
  });

  it('finds fleet instances, tags the untagged ones with the request tags, and reports fulfilling', async () => {
    const untagged = instance('i-new', { Tags: [{ Key: 'hf:template-id', Value: 'T1' }] });
    const tagged = instance('i-old', {
      Tags: [
        { Key: 'hf:request-id', Value: REQ },
        { Key: 'hf:template-id', Value: 'T1' },
      ],
    });
    const client = fakeEc2([untagged, tagged])
      .on('DescribeFleetsCommand', () => ({ Fleets: [fleet({ ActivityStatus: 'pending_fulfillment' })] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-new' }, { InstanceId: 'i-old' }] }))
      .on('DescribeFleetHistoryCommand', () => ({
        HistoryRecords: [
          { EventType: 'service-error', EventInformation: { EventSubType: 'allLaunchSpecsTemporarilyBlacklisted', EventDescription: 'no capacity' } },
        ],
      }));
    const request = fleetRequest('request');
    const view = await provider(client).describe({ requests: [request], machines: [] });

    expect(client.calls('DescribeFleetsCommand')).toEqual([{ FleetIds: ['fleet-1'] }]);
    expect(client.calls('DescribeFleetInstancesCommand')).toEqual([{ FleetId: 'fleet-1' }]);
    expect(client.calls('CreateTagsCommand')).toEqual([
      {
        Resources: ['i-new'],
        Tags: [
          { Key: 'Name', Value: `hf-aws-${REQ}` },
          { Key: 'team', Value: 'hpc' },
          { Key: 'hf:request-id', Value: REQ },
          { Key: 'hf:template-id', Value: 'T1' },
          { Key: 'hf:provider-name', Value: 'aws' },
          { Key: 'hf:provider-api', Value: 'EC2Fleet' },
        ],
      },
    ]);
    expect(view.observations.map((o) => [o.machineId, o.requestId, o.templateId]).sort()).toEqual([
      ['i-new', REQ, 'T1'],
      ['i-old', REQ, 'T1'],
    ]);
    expect(view.fulfilment?.get(REQ)).toEqual({ state: 'fulfilling', reason: 'allLaunchSpecsTemporarilyBlacklisted: no capacity' });
    expect(client.calls('DescribeFleetHistoryCommand')[0]).toMatchObject({ FleetId: 'fleet-1', EventType: 'service-error' });
  });

  it('settled when the fleet is fulfilled, expired, deleted or gone; reasons from its errors; history failures ignored', async () => {
    const cases: [Record<string, unknown> | undefined, string, string | undefined][] = [
      [fleet({ ActivityStatus: 'fulfilled', FulfilledCapacity: 3 }), 'settled', undefined],
      [fleet({ FulfilledCapacity: 3 }), 'settled', undefined],
      [fleet({ FulfilledCapacity: 1 }), 'fulfilling', undefined],
      [fleet({ ValidUntil: new Date(NOW - 1) }), 'settled', undefined],
      [fleet({ FleetState: 'deleted_running' }), 'settled', undefined],
      [
        fleet({ ActivityStatus: 'error', Errors: [{ ErrorCode: 'InvalidLaunchTemplate', ErrorMessage: 'bad' }] }),
        'settled',
        'InvalidLaunchTemplate: bad',
      ],
      [undefined, 'settled', undefined],
    ];
    for (const [data, state, reason] of cases) {
      const client = fakeEc2()
        .on('DescribeFleetsCommand', () => ({ Fleets: data ? [data] : [] }))
        .on('DescribeFleetHistoryCommand', () => {
          throw awsError('InternalError', 'boom', 500);
        });
      const view = await provider(client).describe({ requests: [fleetRequest('maintain')], machines: [] });
      expect(view.fulfilment?.get(REQ)).toEqual({ state, ...(reason ? { reason } : {}) });
    }
  });

  it('a request fleet short of its target: the pools its errors refuse are remembered, and the next attempt leaves them out', async () => {
    const pools = new StoredUnavailablePools(new InMemoryStateStore(), new FixedClock(NOW), 180);
    const client = fakeEc2()
      .on('DescribeFleetsCommand', () => ({
        Fleets: [
          fleet({
            Errors: [
              {
                ErrorCode: 'InsufficientInstanceCapacity',
                ErrorMessage: 'no m5.large',
                Lifecycle: 'on-demand',
                LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } },
              },
              { ErrorCode: 'InvalidLaunchTemplate', ErrorMessage: 'not a pool' },
            ],
          }),
        ],
      }))
      .on('CreateFleetCommand', () => ({ FleetId: 'fleet-2' }));
    const withPools = new Ec2FleetProvider(client, launchTemplates, { providerName: 'aws', clock, pools });
    const view = await withPools.describe({ requests: [fleetRequest('request')], machines: [] });
    expect(view.fulfilment?.get(REQ)?.reason).toContain('m5.large on-demand in subnet-a: InsufficientInstanceCapacity: no m5.large');
    expect([...(await pools.find([{ instanceType: 'm5.large', location: 'subnet-a', priceType: 'ondemand' }])).values()]).toEqual([
      'InsufficientInstanceCapacity: no m5.large',
    ]);
    await withPools.acquire({ request: anAcquireRequest(), template: template({ fleetType: 'request' }), count: 1, attempt: 2, deadline: DEADLINE });
    const overrides = client.calls('CreateFleetCommand')[0].LaunchTemplateConfigs[0].Overrides;
    expect(overrides.map((o: { InstanceType: string; SubnetId: string }) => `${o.InstanceType}@${o.SubnetId}`)).toEqual([
      'm5.large@subnet-b',
      'm5.xlarge@subnet-a',
      'm5.xlarge@subnet-b',
    ]);
  });

  it('instant requests need no fleet call; missing lists only asked machines', async () => {
    const client = fakeEc2([instance('i-1', { Tags: [{ Key: 'hf:request-id', Value: REQ }] })]);
    const view = await provider(client).describe({
      requests: [fleetRequest('instant')],
      machines: [aMachine({ machineId: 'i-gone' }), aMachine({ machineId: 'i-1' })],
    });
    expect(client.calls('DescribeFleetsCommand')).toEqual([]);
    expect(view.missing).toEqual(['i-gone']);
    expect(view.observations.map((o) => o.machineId)).toEqual(['i-1']);
    expect(view.fulfilment?.size).toBe(0);
  });

  it('a fleet id EC2 does not know fails no poll: ids are retried one by one', async () => {
    const client = fakeEc2().on('DescribeFleetsCommand', (input) => {
      if (input.FleetIds.includes('fleet-x')) throw awsError('InvalidFleetId.NotFound', 'fleet-x does not exist');
      return { Fleets: [fleet({ FulfilledCapacity: 3 })] };
    });
    const view = await provider(client).describe({ requests: [fleetRequest('request', 'fleet-1,fleet-x')], machines: [] });
    expect(client.calls('DescribeFleetsCommand')).toEqual([
      { FleetIds: ['fleet-1', 'fleet-x'] },
      { FleetIds: ['fleet-1'] },
      { FleetIds: ['fleet-x'] },
    ]);
    expect(view.fulfilment?.get(REQ)).toEqual({ state: 'settled' });
  });

  it('maps DescribeFleets failures', async () => {
    const client = fakeEc2().on('DescribeFleetsCommand', () => {
      throw awsError('UnauthorizedOperation');
    });
    await expect(provider(client).describe({ requests: [fleetRequest('request')], machines: [] })).rejects.toMatchObject({ code: 'AUTH_ERROR' });
  });
});

describe('Ec2FleetProvider.release', () => {
  const maintainFleet = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    FleetId: 'fleet-1',
    Type: 'maintain',
    FleetState: 'active',
    FulfilledCapacity: 4,
    TargetCapacitySpecification: { TotalTargetCapacity: 4, OnDemandTargetCapacity: 1, SpotTargetCapacity: 3 },
    ...overrides,
  });

  it('maintain: lowers the target by the released units first, then terminates; keeps a fleet that still holds instances', async () => {
    const client = fakeEc2([instance('i-3')])
      .on('DescribeFleetsCommand', () => ({ Fleets: [maintainFleet()] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }, { InstanceId: 'i-3' }] }));
    const machines = [
      aMachine({ machineId: 'i-1', requestId: REQ, weight: 2, priceType: 'spot' }),
      aMachine({ machineId: 'i-2', requestId: REQ, weight: 1, priceType: 'ondemand' }),
    ];
    await provider(client).release(machines, [fleetRequest('maintain')]);

    const order = client.sent.map((c) => c.name).filter((n) => n === 'ModifyFleetCommand' || n === 'TerminateInstancesCommand');
    expect(order).toEqual(['ModifyFleetCommand', 'TerminateInstancesCommand']);
    expect(client.calls('ModifyFleetCommand')).toEqual([
      {
        FleetId: 'fleet-1',
        TargetCapacitySpecification: { TotalTargetCapacity: 1, OnDemandTargetCapacity: 0, SpotTargetCapacity: 1 },
        ExcessCapacityTerminationPolicy: 'no-termination',
      },
    ]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1', 'i-2'] }]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([]);
  });

  it('maintain: the target never goes below 0 on a partial return', async () => {
    const client = fakeEc2([instance('i-9')])
      .on('DescribeFleetsCommand', () => ({ Fleets: [maintainFleet({ TargetCapacitySpecification: { TotalTargetCapacity: 1 } })] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-9' }] }));
    await provider(client).release([aMachine({ machineId: 'i-1', requestId: REQ, weight: 2 })], [fleetRequest('maintain')]);
    expect(client.calls('ModifyFleetCommand')[0].TargetCapacitySpecification).toEqual({ TotalTargetCapacity: 0 });
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([]);
  });

  it('maintain: returning every machine it holds deletes the fleet with its instances in one call (nothing lowered, no window to replace them)', async () => {
    const client = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [maintainFleet()] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }))
      .on('DeleteFleetsCommand', () => ({ SuccessfulFleetDeletions: [{ FleetId: 'fleet-1' }] }));
    await provider(client).release(
      [aMachine({ machineId: 'i-1', requestId: REQ }), aMachine({ machineId: 'i-2', requestId: REQ })],
      [fleetRequest('maintain')],
    );
    expect(client.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-1'], TerminateInstances: true }]);
    expect(client.calls('ModifyFleetCommand')).toEqual([]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([]);
  });

  it('request: terminates, then deletes the fleet only once it holds no live instance', async () => {
    const requestFleet = {
      FleetId: 'fleet-1',
      Type: 'request',
      FleetState: 'active',
      FulfilledCapacity: 2,
      TargetCapacitySpecification: { TotalTargetCapacity: 2 },
    };
    const busy = fakeEc2([instance('i-2')])
      .on('DescribeFleetsCommand', () => ({ Fleets: [requestFleet] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }));
    await provider(busy).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')]);
    expect(busy.calls('ModifyFleetCommand')).toEqual([]);
    expect(busy.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(busy.calls('DeleteFleetsCommand')).toEqual([]);

    const empty = fakeEc2([instance('i-2', { State: { Name: 'shutting-down' } })])
      .on('DescribeFleetsCommand', () => ({ Fleets: [requestFleet] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }));
    await provider(empty).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')]);
    // HF holds nothing of it any more: deleted with its instances, in one call.
    expect(empty.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-1'], TerminateInstances: true }]);
    expect(empty.calls('TerminateInstancesCommand')).toEqual([]);
  });

  it('request: a fleet still filling whose every machine is returned is deleted with its instances (it would launch for nothing HF holds)', async () => {
    const filling = {
      FleetId: 'fleet-1',
      Type: 'request',
      FleetState: 'active',
      ActivityStatus: 'pending_fulfillment',
      FulfilledCapacity: 1,
      TargetCapacitySpecification: { TotalTargetCapacity: 2 },
    };
    const client = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [filling] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }] }));
    await provider(client).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-1'], TerminateInstances: true }]);
  });

  it('request: a fleet still filling is kept when HF still holds another of its machines', async () => {
    const filling = {
      FleetId: 'fleet-1',
      Type: 'request',
      FleetState: 'active',
      ActivityStatus: 'pending_fulfillment',
      FulfilledCapacity: 2,
      TargetCapacitySpecification: { TotalTargetCapacity: 3 },
    };
    const client = fakeEc2([instance('i-2')])
      .on('DescribeFleetsCommand', () => ({ Fleets: [filling] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }));
    await provider(client).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([]);
  });

  it('instant: deleted (AWS only deletes instant fleets with their instances) once every instance of it has ended', async () => {
    const instantFleet = { FleetId: 'fleet-1', Type: 'instant', FleetState: 'active', Instances: [{ InstanceIds: ['i-1', 'i-2'] }] };
    const alive = fakeEc2([instance('i-2')]).on('DescribeFleetsCommand', () => ({ Fleets: [instantFleet] }));
    await provider(alive).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('instant')]);
    expect(alive.calls('DescribeFleetInstancesCommand')).toEqual([]);
    expect(alive.calls('DeleteFleetsCommand')).toEqual([]);

    const ended = fakeEc2([instance('i-2', { State: { Name: 'terminated' } })]).on('DescribeFleetsCommand', () => ({ Fleets: [instantFleet] }));
    await provider(ended).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('instant')]);
    expect(ended.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-1'], TerminateInstances: true }]);
  });

  it('a failed deletion of an emptied instant fleet does not fail the release (housekeeping only)', async () => {
    const instantFleet = { FleetId: 'fleet-1', Type: 'instant', FleetState: 'active', Instances: [{ InstanceIds: ['i-1'] }] };
    const client = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [instantFleet] }))
      .on('DeleteFleetsCommand', () => {
        throw awsError('InvalidParameterCombination', 'No instances specified');
      });
    await expect(provider(client).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('instant')])).resolves.toBeUndefined();
    // The one-call deletion failed: the machines are terminated instead, and the deletion retried best effort.
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([
      { FleetIds: ['fleet-1'], TerminateInstances: true },
      { FleetIds: ['fleet-1'], TerminateInstances: true },
    ]);
  });

  it('is idempotent: deleted fleets are left alone, machines without a fleet are just terminated', async () => {
    const client = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [maintainFleet({ FleetState: 'deleted_running' })] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [] }));
    await provider(client).release(
      [aMachine({ machineId: 'i-1', requestId: REQ }), aMachine({ machineId: 'i-2', requestId: 'req-other' })],
      [fleetRequest('maintain')],
    );
    expect(client.calls('ModifyFleetCommand')).toEqual([]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-1', 'i-2'] }]);
    await expect(provider(client).release([], [])).resolves.toBeUndefined();
  });

  it('a fleet that is already gone is fine; other deletion failures are reported', async () => {
    const requestFleet = { FleetId: 'fleet-1', Type: 'request', FleetState: 'active' };
    const gone = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [requestFleet] }))
      .on('DeleteFleetsCommand', () => ({
        UnsuccessfulFleetDeletions: [{ FleetId: 'fleet-1', Error: { Code: 'fleetIdDoesNotExist', Message: 'gone' } }],
      }));
    await expect(provider(gone).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')])).resolves.toBeUndefined();

    const failing = fakeEc2([])
      .on('DescribeFleetsCommand', () => ({ Fleets: [requestFleet] }))
      .on('DeleteFleetsCommand', () => ({
        UnsuccessfulFleetDeletions: [{ FleetId: 'fleet-1', Error: { Code: 'unexpectedError', Message: 'oops' } }],
      }));
    await expect(provider(failing).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('request')])).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
  });

  it('a failing ModifyFleet stops a partial release before anything is terminated', async () => {
    const client = fakeEc2([instance('i-2')])
      .on('DescribeFleetsCommand', () => ({ Fleets: [maintainFleet()] }))
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }))
      .on('ModifyFleetCommand', () => {
        throw awsError('IncorrectState', 'fleet is modifying');
      });
    await expect(provider(client).release([aMachine({ machineId: 'i-1', requestId: REQ })], [fleetRequest('maintain')])).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
    expect(client.calls('TerminateInstancesCommand')).toEqual([]);
  });
});

describe('Ec2FleetProvider.abandon', () => {
  it('deletes a request fleet without its instances, shrinks a maintain fleet to what it holds, leaves instant and deleted fleets', async () => {
    const client = fakeEc2()
      .on('DescribeFleetsCommand', () => ({
        Fleets: [
          { FleetId: 'fleet-r', Type: 'request', FleetState: 'active' },
          {
            FleetId: 'fleet-m',
            Type: 'maintain',
            FleetState: 'active',
            FulfilledCapacity: 2,
            TargetCapacitySpecification: { TotalTargetCapacity: 5, OnDemandTargetCapacity: 5, SpotTargetCapacity: 0 },
          },
          { FleetId: 'fleet-i', Type: 'instant', FleetState: 'active' },
          { FleetId: 'fleet-d', Type: 'request', FleetState: 'deleted_running' },
        ],
      }))
      .on('DeleteFleetsCommand', () => ({ SuccessfulFleetDeletions: [{ FleetId: 'fleet-r' }] }));
    await provider(client).abandon(fleetRequest('request', 'fleet-r,fleet-m,fleet-i,fleet-d'), []);
    expect(client.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-r'], TerminateInstances: false }]);
    expect(client.calls('ModifyFleetCommand')).toEqual([
      {
        FleetId: 'fleet-m',
        TargetCapacitySpecification: { TotalTargetCapacity: 2, OnDemandTargetCapacity: 2, SpotTargetCapacity: 0 },
        ExcessCapacityTerminationPolicy: 'no-termination',
      },
    ]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([]);
  });

  it('does nothing for a request without fleets or a maintain fleet already at what it holds', async () => {
    const client = fakeEc2().on('DescribeFleetsCommand', () => ({
      Fleets: [
        { FleetId: 'fleet-m', Type: 'maintain', FleetState: 'active', FulfilledCapacity: 2, TargetCapacitySpecification: { TotalTargetCapacity: 2 } },
      ],
    }));
    await provider(client).abandon(anAcquireRequest(), []);
    await provider(client).abandon(fleetRequest('maintain', 'fleet-m'), []);
    expect(client.calls('DescribeFleetsCommand')).toHaveLength(1);
    expect(client.calls('ModifyFleetCommand')).toEqual([]);
    expect(client.calls('DeleteFleetsCommand')).toEqual([]);
  });

  it('fleetIdsOf reads the comma-separated ids', () => {
    expect(fleetIdsOf(fleetRequest('request', 'a,b'))).toEqual(['a', 'b']);
    expect(fleetIdsOf(undefined)).toEqual([]);
  });
});

describe('Ec2FleetProvider: replayed attempts, inventory, dispose', () => {
  const ownTags = (requestId: string, attempt: number): { Key: string; Value: string }[] => [
    { Key: 'hf:request-id', Value: requestId },
    { Key: 'hf:provider-name', Value: 'aws' },
    { Key: 'hf:launch-attempt', Value: String(attempt) },
  ];

  it('a replayed request fleet attempt finds the fleet its dead caller made, by its tags, and creates none', async () => {
    const client = fakeEc2().on('DescribeFleetsCommand', () => ({
      Fleets: [
        { FleetId: 'fleet-other', FleetState: 'active', Type: 'request', Tags: ownTags(REQ, 1) },
        { FleetId: 'fleet-made', FleetState: 'active', Type: 'request', Tags: ownTags(REQ, 2) },
        {
          FleetId: 'fleet-foreign',
          FleetState: 'active',
          Type: 'request',
          Tags: [...ownTags(REQ, 2).slice(0, 1), { Key: 'hf:provider-name', Value: 'x' }],
        },
      ],
    }));
    const request = anAcquireRequest({ requestId: REQ, templateId: 'T1', providerData: { fleetIds: 'fleet-other' } });
    const result = await provider(client).acquire({
      request,
      template: template({ fleetType: 'request' }),
      count: 2,
      attempt: 2,
      deadline: DEADLINE,
      replay: true,
    });
    expect(client.calls('CreateFleetCommand')).toEqual([]);
    expect(result.providerData).toMatchObject({ fleetIds: 'fleet-other,fleet-made', fleetType: 'request' });
  });

  it('a replayed instant attempt returns the instances it made, found by their attempt tag', async () => {
    const made = instance('i-made', {
      Tags: [
        { Key: 'hf:request-id', Value: REQ },
        { Key: 'hf:launch-attempt', Value: '3' },
      ],
    });
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({ Reservations: [{ Instances: [made] }] }));
    const result = await provider(client).acquire({
      request: anAcquireRequest({ requestId: REQ, templateId: 'T1' }),
      template: template({ fleetType: 'instant' }),
      count: 1,
      attempt: 3,
      deadline: DEADLINE,
      replay: true,
    });
    expect(client.calls('CreateFleetCommand')).toEqual([]);
    expect(result.machines.map((m) => m.machineId)).toEqual(['i-made']);
  });

  it('lists live request/maintain fleets of this provider instance with their instances, and disposes them with their instances', async () => {
    const client = fakeEc2()
      .on('DescribeFleetsCommand', (input) =>
        input.FleetIds
          ? { Fleets: [{ FleetId: 'fleet-mine', FleetState: 'active', Type: 'request' }] }
          : {
              Fleets: [
                { FleetId: 'fleet-mine', FleetState: 'active', Type: 'request', Tags: ownTags(REQ, 1) },
                { FleetId: 'fleet-gone', FleetState: 'deleted', Type: 'request', Tags: ownTags(REQ, 2) },
              ],
            },
      )
      .on('DescribeFleetInstancesCommand', () => ({ ActiveInstances: [{ InstanceId: 'i-1' }] }))
      .on('DeleteFleetsCommand', () => ({ SuccessfulFleetDeletions: [{ FleetId: 'fleet-mine' }] }));
    const inventory = await provider(client).inventory();
    expect(inventory.holders).toEqual([{ api: 'EC2Fleet', kind: 'EC2 Fleet', id: 'fleet-mine', requestId: REQ, instanceIds: ['i-1'] }]);
    await provider(client).dispose(inventory.holders);
    expect(client.calls('DeleteFleetsCommand')).toEqual([{ FleetIds: ['fleet-mine'], TerminateInstances: true }]);
  });
});

describe('Ec2FleetProvider.preflight', () => {
  const allowed = () => {
    throw awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  };

  it('sends the CreateFleet acquire would send, for one unit of an instant fleet, with DryRun and no ClientToken', async () => {
    const client = new FakeAwsClient().on('CreateFleetCommand', allowed);
    expect(await provider(client).preflight(template())).toEqual({ checked: ['launch template lt-1 version 3', 'CreateFleet DryRun'], problems: [] });
    const sent = client.calls('CreateFleetCommand')[0];
    expect(sent).toMatchObject({
      DryRun: true,
      Type: 'instant',
      TargetCapacitySpecification: { TotalTargetCapacity: 1 },
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '3' } }],
    });
    expect(sent.LaunchTemplateConfigs[0].Overrides).toHaveLength(4);
    expect(sent).not.toHaveProperty('ClientToken');
  });

  it('without the launch template (the first request makes it) CreateFleet is skipped, but bad fleet settings still fail', async () => {
    const noRef = {
      ensure: jest.fn(),
      preflight: jest.fn(async () => ({ checked: ['CreateLaunchTemplate DryRun (hf-aws-T1: the first request makes it)'], problems: [] })),
    } as unknown as LaunchTemplates;
    const client = new FakeAwsClient().on('CreateFleetCommand', allowed);
    const fleets = new Ec2FleetProvider(client, noRef, { providerName: 'aws', clock });
    const skipped = await fleets.preflight(template());
    expect(skipped).toEqual({
      checked: ['CreateLaunchTemplate DryRun (hf-aws-T1: the first request makes it)', 'CreateFleet DryRun skipped: it needs the launch template'],
      problems: [],
    });
    const bad = await fleets.preflight(template({ allocationStrategy: 'cheapest-please' }));
    expect(bad.problems).toEqual([expect.objectContaining({ severity: 'fail', message: expect.stringContaining('cheapest-please') })]);
    expect(client.calls('CreateFleetCommand')).toHaveLength(0);
    expect(noRef.ensure).not.toHaveBeenCalled();
  });

  it('a refusal fails with the reason; a fleet made by an endpoint ignoring DryRun is deleted with its instances', async () => {
    const refusing = new FakeAwsClient().on('CreateFleetCommand', () => {
      throw awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    });
    expect((await provider(refusing).preflight(template())).problems).toEqual([
      { severity: 'fail', field: 'template', message: expect.stringContaining('not authorized') },
    ]);
    const ignoring = new FakeAwsClient()
      .on('CreateFleetCommand', () => ({ FleetId: 'fleet-dry', Instances: [] }))
      .on('DeleteFleetsCommand', () => ({ SuccessfulFleetDeletions: [{ FleetId: 'fleet-dry' }] }));
    expect((await provider(ignoring).preflight(template())).problems).toEqual([
      { severity: 'warn', field: 'template', message: expect.stringContaining('ignores DryRun') },
    ]);
    expect(ignoring.calls('DeleteFleetsCommand')[0]).toEqual({ FleetIds: ['fleet-dry'], TerminateInstances: true });
  });
});
