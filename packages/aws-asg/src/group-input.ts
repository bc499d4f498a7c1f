import type { CreateAutoScalingGroupCommandInput, InstancesDistribution, LaunchTemplateOverrides } from '@aws-sdk/client-auto-scaling';
import { HostFactoryError, instancePriority, instanceWeight, templateInstanceTypes, type Template } from '@open-hostfactory/core';
import { apiShape } from '@open-hostfactory/aws-common';
import { groupTags } from './tags';

/**
 * Processes suspended on every group, so that Auto Scaling never replaces or moves HF's machines
 * behind its back:
 * - `AZRebalance` would terminate running hosts to even out zones;
 * - `ReplaceUnhealthy` would terminate an unhealthy host (failed status check, spot
 *   interruption, terminated outside) and launch another one in its place. HF owns the machine
 *   lifecycle: it must see the host go (getReturnRequests reports it) and decide itself whether
 *   it wants another one (core tops up a running request), not get a new host it never asked for.
 *   With it suspended the dead instance stays listed in the group until it is released, and
 *   release removes it with the desired capacity decremented.
 * `Launch`/`Terminate` stay active: the group must fill its desired capacity and honour
 * TerminateInstanceInAutoScalingGroup.
 */
export const SUSPENDED_PROCESSES: readonly string[] = ['AZRebalance', 'ReplaceUnhealthy'];

const SPOT_STRATEGIES: Readonly<Record<string, string>> = {
  capacityOptimized: 'capacity-optimized',
  capacityOptimizedPrioritized: 'capacity-optimized-prioritized',
  lowestPrice: 'lowest-price',
  priceCapacityOptimized: 'price-capacity-optimized',
};

const ON_DEMAND_STRATEGIES: Readonly<Record<string, string>> = {
  lowestPrice: 'lowest-price',
  prioritized: 'prioritized',
};

/**
 * The Auto Scaling SpotAllocationStrategy of a template's `allocationStrategy` (HF's camelCase
 * names; the API's own values are accepted as they are). Auto Scaling has no `diversified`
 * strategy: such a template is `TEMPLATE_INVALID` for providerApi ASG.
 */
export function spotAllocationStrategy(template: Template): string | undefined {
  return mapStrategy(template, 'allocationStrategy', template.allocationStrategy, SPOT_STRATEGIES);
}

/** The Auto Scaling OnDemandAllocationStrategy of a template's `allocationStrategyOnDemand`. */
export function onDemandAllocationStrategy(template: Template): string | undefined {
  return mapStrategy(template, 'allocationStrategyOnDemand', template.allocationStrategyOnDemand, ON_DEMAND_STRATEGIES);
}

function mapStrategy(template: Template, field: string, value: string | undefined, table: Readonly<Record<string, string>>): string | undefined {
  if (value === undefined || value === '') return undefined;
  const mapped = table[value] ?? (Object.values(table).includes(value) ? value : undefined);
  if (mapped) return mapped;
  throw new HostFactoryError(
    'TEMPLATE_INVALID',
    `Template '${template.templateId}': ${field} '${value}' is not supported by Auto Scaling groups (use one of ${Object.keys(table).join(', ')})`,
    { details: { templateId: template.templateId, [field]: value } },
  );
}

/**
 * Percentage of on-demand capacity above the base: ondemand 100; spot `percentOnDemand` (IBM's
 * meaning: the on-demand share of a spot request; unset = 0); heterogeneous `percentOnDemand`,
 * required: a group has one instances distribution for its life, so IBM's spot-first-then-on-demand
 * (which the fleets do) is not offered here, and the split must be stated.
 */
export function onDemandPercentage(template: Template): number {
  switch (template.priceType) {
    case 'ondemand':
      return 100;
    case 'spot':
      return Math.min(100, Math.max(0, Math.round(template.percentOnDemand ?? 0)));
    case 'heterogeneous': {
      const percent = template.percentOnDemand;
      if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new HostFactoryError(
          'TEMPLATE_INVALID',
          `Template '${template.templateId}': priceType 'heterogeneous' needs percentOnDemand (an integer 0-100)`,
          { details: { templateId: template.templateId } },
        );
      }
      return percent;
    }
  }
}

/** True when any instance type of the template weighs other than 1 (capacity is then in units). */
export function isWeighted(template: Template): boolean {
  return templateInstanceTypes(template).some((type) => instanceWeight(template, type) !== 1);
}

export interface GroupInputOptions {
  readonly groupName: string;
  readonly providerName: string;
  readonly requestId: string;
  readonly template: Template;
  readonly launchTemplate: { readonly launchTemplateId: string; readonly version: string };
  /** Capacity units (instances when the template is not weighted). */
  readonly count: number;
  readonly attempt: number;
}

/**
 * The CreateAutoScalingGroup input of a request's group: `MinSize 0`, `MaxSize` and
 * `DesiredCapacity` = `count` units (with `vmTypes` weights each override carries its
 * `WeightedCapacity` and the group counts units), subnets as `VPCZoneIdentifier`, new instances
 * protected from scale-in, capacity rebalancing off, and the hf tags propagated to the
 * instances. One on-demand instance type: the launch template alone; otherwise a
 * MixedInstancesPolicy (overrides, on-demand / spot split, allocation strategies, spot max price).
 */
export function groupInput(options: GroupInputOptions): CreateAutoScalingGroupCommandInput {
  const { template, launchTemplate } = options;
  if (template.subnetIds.length === 0) {
    throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs subnetIds for providerApi ASG`, {
      details: { templateId: template.templateId },
    });
  }
  const spec = { LaunchTemplateId: launchTemplate.launchTemplateId, Version: launchTemplate.version };
  const types = templateInstanceTypes(template);
  const weighted = isWeighted(template);
  // The launch template alone fixes the instance type only when it is ours (made from vmType)
  // or when the template names no type; a template's own launch template may hold another type.
  const plain =
    template.priceType === 'ondemand' &&
    !weighted &&
    !template.instanceRequirements &&
    (types.length === 0 || (types.length === 1 && !template.launchTemplateId));
  const base: CreateAutoScalingGroupCommandInput = {
    AutoScalingGroupName: options.groupName,
    MinSize: 0,
    MaxSize: options.count,
    DesiredCapacity: options.count,
    VPCZoneIdentifier: template.subnetIds.join(','),
    NewInstancesProtectedFromScaleIn: true,
    CapacityRebalance: false,
    Tags: groupTags({
      groupName: options.groupName,
      providerName: options.providerName,
      requestId: options.requestId,
      templateId: template.templateId,
      instanceTags: template.instanceTags,
      attempt: options.attempt,
    }),
  };
  if (plain) return { ...base, LaunchTemplate: spec };

  // An Auto Scaling group reads priority from the order of its overrides.
  const ranked = template.vmTypesPriority !== undefined;
  const ordered = ranked
    ? types
        .map((type, index) => ({ type, rank: instancePriority(template, type, index), index }))
        .sort((a, b) => a.rank - b.rank || a.index - b.index)
        .map(({ type }) => type)
    : types;
  const overrides: LaunchTemplateOverrides[] = ordered.map((type) => ({
    InstanceType: type,
    ...(weighted ? { WeightedCapacity: String(instanceWeight(template, type)) } : {}),
  }));
  // Attribute-based selection: the group picks every type that matches (each counts one unit).
  if (template.instanceRequirements)
    overrides.push({ InstanceRequirements: apiShape(template.instanceRequirements) as LaunchTemplateOverrides['InstanceRequirements'] });
  const percent = onDemandPercentage(template);
  const spotStrategy = percent < 100 ? (spotAllocationStrategy(template) ?? (ranked ? 'capacity-optimized-prioritized' : undefined)) : undefined;
  const onDemandStrategy = onDemandAllocationStrategy(template) ?? (ranked ? 'prioritized' : undefined);
  const distribution: InstancesDistribution = {
    OnDemandBaseCapacity: 0,
    OnDemandPercentageAboveBaseCapacity: percent,
    ...(onDemandStrategy ? { OnDemandAllocationStrategy: onDemandStrategy } : {}),
    ...(spotStrategy ? { SpotAllocationStrategy: spotStrategy } : {}),
    ...(spotStrategy === 'lowest-price' && template.poolsCount ? { SpotInstancePools: template.poolsCount } : {}),
    ...(percent < 100 && template.maxSpotPrice !== undefined ? { SpotMaxPrice: String(template.maxSpotPrice) } : {}),
  };
  return {
    ...base,
    MixedInstancesPolicy: {
      LaunchTemplate: {
        LaunchTemplateSpecification: spec,
        ...(overrides.length > 0 ? { Overrides: overrides } : {}),
      },
      InstancesDistribution: distribution,
    },
  };
}
