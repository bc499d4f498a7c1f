import { aTemplate } from '@open-hostfactory/core/testing';
import type { Template } from '@open-hostfactory/core';
import { SUSPENDED_PROCESSES, groupInput, isWeighted, onDemandAllocationStrategy, onDemandPercentage, spotAllocationStrategy } from './group-input';

const LT = { launchTemplateId: 'lt-0123456789abcdef0', version: '7' };

const build = (template: Template, count = 3, attempt = 1): ReturnType<typeof groupInput> =>
  groupInput({ groupName: 'hf-awsinst-req-1', providerName: 'awsinst', requestId: 'req-1', template, launchTemplate: LT, count, attempt });

const asg = (overrides: Partial<Template> = {}): Template =>
  aTemplate({ providerApi: 'ASG', subnetIds: ['subnet-a', 'subnet-b'], instanceTags: { team: 'hpc' }, ...overrides });

describe('groupInput', () => {
  it('one on-demand type: the launch template alone, sizes, subnets, protection, no rebalancing', () => {
    const input = build(asg(), 3);
    expect(input).toMatchObject({
      AutoScalingGroupName: 'hf-awsinst-req-1',
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 3,
      VPCZoneIdentifier: 'subnet-a,subnet-b',
      LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' },
      NewInstancesProtectedFromScaleIn: true,
      CapacityRebalance: false,
    });
    expect(input.MixedInstancesPolicy).toBeUndefined();
  });

  it('tags: hf tags, Name and template tags propagated at launch; the attempt marker stays on the group', () => {
    const input = build(asg({ instanceTags: { team: 'hpc', 'aws:reserved': 'x', 'hf:request-id': 'forged' } }), 1, 2);
    const tags = input.Tags ?? [];
    const byKey = new Map(tags.map((tag) => [tag.Key, tag]));
    expect(byKey.get('hf:request-id')).toEqual({
      ResourceId: 'hf-awsinst-req-1',
      ResourceType: 'auto-scaling-group',
      Key: 'hf:request-id',
      Value: 'req-1',
      PropagateAtLaunch: true,
    });
    expect(byKey.get('hf:template-id')).toMatchObject({ Value: 'OnDemand-Small', PropagateAtLaunch: true });
    expect(byKey.get('hf:provider-name')).toMatchObject({ Value: 'awsinst', PropagateAtLaunch: true });
    expect(byKey.get('Name')).toMatchObject({ Value: 'hf-awsinst-req-1', PropagateAtLaunch: true });
    expect(byKey.get('team')).toMatchObject({ Value: 'hpc', PropagateAtLaunch: true });
    expect(byKey.get('hf:launch-attempt')).toMatchObject({ Value: '2', PropagateAtLaunch: false });
    expect(byKey.has('aws:reserved')).toBe(false);
    expect(tags.filter((tag) => tag.Key === 'hf:request-id')).toHaveLength(1);
  });

  it('a Name in instanceTags wins over the default', () => {
    const tags = build(asg({ instanceTags: { Name: 'compute' } })).Tags ?? [];
    expect(tags.find((tag) => tag.Key === 'Name')?.Value).toBe('compute');
  });

  it('weights: MixedInstancesPolicy overrides with WeightedCapacity; the group counts units', () => {
    const input = build(asg({ vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }), 4);
    expect(input.LaunchTemplate).toBeUndefined();
    expect(input.DesiredCapacity).toBe(4);
    expect(input.MaxSize).toBe(4);
    expect(input.MixedInstancesPolicy?.LaunchTemplate).toEqual({
      LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' },
      Overrides: [
        { InstanceType: 'm5.large', WeightedCapacity: '1' },
        { InstanceType: 'm5.xlarge', WeightedCapacity: '2' },
      ],
    });
    expect(input.MixedInstancesPolicy?.InstancesDistribution).toEqual({ OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100 });
  });

  it('several unweighted on-demand types: overrides without weights, on-demand strategy mapped', () => {
    const input = build(asg({ vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm6i.large': 1 }, allocationStrategyOnDemand: 'prioritized' }));
    expect(input.MixedInstancesPolicy?.LaunchTemplate?.Overrides).toEqual([{ InstanceType: 'm5.large' }, { InstanceType: 'm6i.large' }]);
    expect(input.MixedInstancesPolicy?.InstancesDistribution).toEqual({
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 100,
      OnDemandAllocationStrategy: 'prioritized',
    });
  });

  it('spot: 0 % on-demand, spot strategy mapped, max price as a string', () => {
    const input = build(asg({ priceType: 'spot', allocationStrategy: 'priceCapacityOptimized', maxSpotPrice: 0.25 }));
    expect(input.MixedInstancesPolicy?.InstancesDistribution).toEqual({
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
      SpotMaxPrice: '0.25',
    });
    expect(input.MixedInstancesPolicy?.LaunchTemplate?.Overrides).toEqual([{ InstanceType: 't3.medium' }]);
  });

  it('heterogeneous: percentOnDemand above base, both strategies, pools for lowest-price', () => {
    const input = build(
      asg({
        priceType: 'heterogeneous',
        percentOnDemand: 30,
        allocationStrategy: 'lowestPrice',
        allocationStrategyOnDemand: 'lowestPrice',
        poolsCount: 3,
        vmTypes: { 't3.medium': 1, 't3.large': 2 },
      }),
    );
    expect(input.MixedInstancesPolicy?.InstancesDistribution).toEqual({
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 30,
      OnDemandAllocationStrategy: 'lowest-price',
      SpotAllocationStrategy: 'lowest-price',
      SpotInstancePools: 3,
    });
  });

  it('heterogeneous without percentOnDemand is TEMPLATE_INVALID', () => {
    expect(() => build(asg({ priceType: 'heterogeneous' }))).toThrow(expect.objectContaining({ code: 'TEMPLATE_INVALID' }));
  });

  it('a template with its own launch template and a vmType overrides the type', () => {
    const input = build(asg({ launchTemplateId: 'lt-user', vmType: 'c5.large' }));
    expect(input.LaunchTemplate).toBeUndefined();
    expect(input.MixedInstancesPolicy?.LaunchTemplate?.Overrides).toEqual([{ InstanceType: 'c5.large' }]);
  });

  it('a template with its own launch template and no type uses the launch template alone', () => {
    const input = build(asg({ launchTemplateId: 'lt-user', vmType: undefined, vmTypes: undefined }));
    expect(input.LaunchTemplate).toEqual({ LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' });
  });

  it('no subnets is TEMPLATE_INVALID', () => {
    expect(() => build(asg({ subnetIds: [] }))).toThrow(expect.objectContaining({ code: 'TEMPLATE_INVALID' }));
  });

  it('suspends the processes that replace or move machines, never Launch or Terminate', () => {
    expect(SUSPENDED_PROCESSES).toEqual(['AZRebalance', 'ReplaceUnhealthy']);
  });
});

describe('allocation strategies', () => {
  it.each([
    ['capacityOptimized', 'capacity-optimized'],
    ['capacityOptimizedPrioritized', 'capacity-optimized-prioritized'],
    ['lowestPrice', 'lowest-price'],
    ['priceCapacityOptimized', 'price-capacity-optimized'],
    ['price-capacity-optimized', 'price-capacity-optimized'],
  ])('spot %s -> %s', (value, api) => {
    expect(spotAllocationStrategy(asg({ allocationStrategy: value }))).toBe(api);
  });

  it('spot diversified (no Auto Scaling equivalent) is TEMPLATE_INVALID', () => {
    expect(() => spotAllocationStrategy(asg({ allocationStrategy: 'diversified' }))).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_INVALID', message: expect.stringContaining('diversified') }),
    );
  });

  it.each([
    ['lowestPrice', 'lowest-price'],
    ['prioritized', 'prioritized'],
  ])('on-demand %s -> %s', (value, api) => {
    expect(onDemandAllocationStrategy(asg({ allocationStrategyOnDemand: value }))).toBe(api);
  });

  it('unset strategies are left to Auto Scaling; unknown ones are TEMPLATE_INVALID', () => {
    expect(spotAllocationStrategy(asg())).toBeUndefined();
    expect(onDemandAllocationStrategy(asg())).toBeUndefined();
    expect(() => onDemandAllocationStrategy(asg({ allocationStrategyOnDemand: 'cheapest' }))).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_INVALID' }),
    );
  });

  it('on-demand percentage by price type', () => {
    expect(onDemandPercentage(asg({ priceType: 'ondemand' }))).toBe(100);
    expect(onDemandPercentage(asg({ priceType: 'spot', percentOnDemand: 40 }))).toBe(40);
    expect(onDemandPercentage(asg({ priceType: 'spot' }))).toBe(0);
    expect(onDemandPercentage(asg({ priceType: 'heterogeneous', percentOnDemand: 40 }))).toBe(40);
  });

  it('vmTypesPriority orders the overrides (lower first, unnamed last) and makes the prioritized strategies the defaults', () => {
    const input = build(
      asg({
        priceType: 'spot',
        vmType: 'm5.large',
        vmTypes: { 'm5.large': 1, 'm6i.large': 1, 'c5.large': 1 },
        vmTypesPriority: { 'c5.large': 0, 'm5.large': 2 },
      }),
    );
    const policy = input.MixedInstancesPolicy!;
    expect(policy.LaunchTemplate!.Overrides!.map((o) => o.InstanceType)).toEqual(['c5.large', 'm5.large', 'm6i.large']);
    expect(policy.InstancesDistribution).toMatchObject({
      SpotAllocationStrategy: 'capacity-optimized-prioritized',
      OnDemandAllocationStrategy: 'prioritized',
    });
  });

  it('instanceRequirements: an attribute-based override in the MixedInstancesPolicy (never the launch template alone)', () => {
    const input = build(asg({ vmType: undefined, instanceRequirements: { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 } } }));
    expect(input.LaunchTemplate).toBeUndefined();
    expect(input.MixedInstancesPolicy!.LaunchTemplate!.Overrides).toEqual([
      { InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 } } },
    ]);
  });

  it('weighted only when some type weighs other than 1', () => {
    expect(isWeighted(asg({ vmTypes: { 'm5.large': 1, 'm6i.large': 1 } }))).toBe(false);
    expect(isWeighted(asg({ vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }))).toBe(true);
  });
});
