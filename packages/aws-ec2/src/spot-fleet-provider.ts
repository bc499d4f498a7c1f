import {
  RequestSpotFleetCommand,
  type AllocationStrategy,
  type LaunchTemplateOverrides,
  type OnDemandAllocationStrategy,
  type SpotFleetRequestConfig,
  type SpotFleetRequestConfigData,
} from '@aws-sdk/client-ec2';
import {
  HostFactoryError,
  formatInstanceTags,
  instancePriority,
  instanceWeight,
  systemClock,
  type AcquireInput,
  type AcquireResult,
  type Clock,
  type PreflightResult,
  type ProviderApi,
  type Template,
  templateProblemOf,
  noPoolMemory,
  type UnavailablePools,
} from '@open-hostfactory/core';
import { unique } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { Ec2Instances } from './ec2-instances';
import { mapEc2Error } from './errors';
import { dryRun } from './dry-run';
import type { LaunchTemplateRef } from './launch-templates';
import { PREFLIGHT_REQUEST_ID, clientToken } from './run-instances-provider';
import { availableOverrides, fleetPurchase, fleetTags, formatPrice, mapStrategy, requirementOverrides, validUntil } from './fleet-common';
import { FleetCapacityProvider } from './fleet-mechanism';
import {
  SPOT_FLEET_INSTANCE_TAGS_KEY,
  SPOT_FLEET_REQUEST_IDS_KEY,
  SPOT_FLEET_REQUEST_ID_KEY,
  SPOT_FLEET_TYPE_KEY,
  SpotFleetApi,
  isLive,
  spotFleetIdsOf,
} from './spot-fleet-api';
import { launchTags } from './tags';

/**
 * Where the provider gets the launch template of an HF template from (structurally the
 * `LaunchTemplates` class of launch-templates.ts: one EC2 launch template per HF template).
 */
export interface LaunchTemplateSource {
  ensure(template: Template): Promise<LaunchTemplateRef>;
  /** Read-only: the launch template a launch would use, when it exists; otherwise its creation dry-run. */
  preflight(template: Template): Promise<{ ref?: LaunchTemplateRef } & PreflightResult>;
}

export interface SpotFleetProviderOptions {
  /** The HF provider instance name (HF_PROVIDER_NAME), written to every fleet's and instance's tags. */
  readonly providerName: string;
  readonly clock?: Clock;
  /**
   * The instance view shared by every EC2 shape of the installation (with its EventBridge notice
   * queue, when configured); a private one over `client` otherwise.
   */
  readonly instances?: Ec2Instances;
  /** The pools the cloud refused lately (shared through the store): overrides in them are left out. */
  readonly pools?: UnavailablePools;
}

/** Spot Fleet request type when the template sets no `fleetType` (IBM's provider uses one-time requests). */
export const DEFAULT_SPOT_FLEET_TYPE = 'request';

/** The allocation strategy of a Spot Fleet request whose template names none (AWS's recommendation). */
export const DEFAULT_SPOT_FLEET_STRATEGY: AllocationStrategy = 'priceCapacityOptimized';

/** IBM `allocationStrategy` -> Spot Fleet AllocationStrategy (the names match; EC2 Fleet's kebab-case is accepted too). */
export const SPOT_FLEET_ALLOCATION_STRATEGIES: Readonly<Record<string, AllocationStrategy>> = {
  capacityOptimized: 'capacityOptimized',
  capacityOptimizedPrioritized: 'capacityOptimizedPrioritized',
  diversified: 'diversified',
  lowestPrice: 'lowestPrice',
  priceCapacityOptimized: 'priceCapacityOptimized',
  'capacity-optimized': 'capacityOptimized',
  'capacity-optimized-prioritized': 'capacityOptimizedPrioritized',
  'lowest-price': 'lowestPrice',
  'price-capacity-optimized': 'priceCapacityOptimized',
};

/** IBM `allocationStrategyOnDemand` -> Spot Fleet OnDemandAllocationStrategy. */
export const SPOT_FLEET_ON_DEMAND_ALLOCATION_STRATEGIES: Readonly<Record<string, OnDemandAllocationStrategy>> = {
  lowestPrice: 'lowestPrice',
  prioritized: 'prioritized',
  'lowest-price': 'lowestPrice',
};

/**
 * Capacity by EC2 Spot Fleet (`providerApi: SpotFleet`, IBM's own shape), one Spot Fleet request
 * per (request, attempt):
 *
 * - RequestSpotFleet with the template's launch template ({@link LaunchTemplateSource}), overrides
 *   = instance types (`vmType` + `vmTypes`) x subnets, `WeightedCapacity` = the type's weight,
 *   `SpotPrice` = `maxSpotPrice` / weight (`maxSpotPrice` is per instance-hour for every API; Spot
 *   Fleet prices per unit-hour), `TargetCapacity` = `count` units.
 * - Price types as IBM defines them ({@link purchaseOf}): `ondemand` all units on-demand (Spot
 *   Fleet can launch on-demand too); `spot` `round(count * percentOnDemand / 100)` units
 *   on-demand (unset = 0), the rest spot; `heterogeneous`: the first attempt as `spot`, with
 *   `ValidUntil` at `spotFleetRequestExpiry` (default 30 minutes) or halfway to the capacity
 *   deadline, whichever is sooner; once that fleet settles short, the next attempt cancels it
 *   (its instances kept) and requests the rest all on-demand, from `vmTypesOnDemand` when set.
 * - `fleetType`: `request` (default) or `maintain`. `instant` is not a Spot Fleet type and is
 *   rejected with TEMPLATE_INVALID (use providerApi EC2Fleet for instant fleets) rather than
 *   silently turned into an asynchronous request.
 * - `ValidUntil` = min(the request's deadline, now + `spotFleetRequestExpiry` minutes). IBM
 *   documents `spotFleetRequestExpiry` in minutes (default 30); when unset the deadline alone
 *   bounds the fleet. `TerminateInstancesWithExpiration: false`: instances outlive the fleet (HF
 *   holds them). `fleetRole` (IamFleetRole) is required.
 * - The fleet fills over time: `acquire` returns no machines, `describe` finds the instances with
 *   DescribeSpotFleetInstances, tags them with the request's tags and reports `fulfilling` until the
 *   fleet settles. A next attempt (core does it once settled short) cancels the request's previous
 *   live fleets (keeping their instances) before it counts on a new one, so at most one fleet per
 *   request launches at a time.
 * - `release`: a live `maintain` fleet's target is lowered by the released units first
 *   (`ExcessCapacityTerminationPolicy: noTermination`, so the fleet never picks instances itself),
 *   then the machines are terminated, then fleets left with no instance and nothing more to launch
 *   are cancelled (`TerminateInstances: false`).
 * - `abandon`: the request's live fleets are cancelled without their instances.
 */
export class SpotFleetProvider extends FleetCapacityProvider<SpotFleetRequestConfig> {
  readonly api: ProviderApi = 'SpotFleet';

  constructor(
    private readonly client: Ec2Client,
    private readonly launchTemplates: LaunchTemplateSource,
    private readonly options: SpotFleetProviderOptions,
  ) {
    const clock = options.clock ?? systemClock;
    super(new SpotFleetApi(client, options.providerName), options.instances ?? new Ec2Instances(client, clock), options.providerName, clock);
  }

  /**
   * Requests one Spot Fleet for (request, attempt) (ClientToken `clientToken(requestId, attempt)`,
   * so a repeat returns the same fleet). Returns no machines and `providerData` with the fleet id
   * (`spotFleetRequestId`, all ids in `spotFleetRequestIds`). Throws TEMPLATE_INVALID for a template
   * Spot Fleet cannot serve, otherwise as {@link mapEc2Error}.
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const { request, template } = input;
    if (!Number.isInteger(input.count) || input.count < 1) {
      throw new HostFactoryError('INVALID_INPUT', `count must be a positive integer, got ${input.count}`);
    }
    const fleetType = spotFleetType(template);
    // A replayed attempt first looks for the fleet its dead caller requested (by its tags).
    let fleetId = input.replay ? await this.replayedFleet(request.requestId, input.attempt) : undefined;
    if (!fleetId) {
      const config = await this.requestConfig(input, request.requestId, fleetType, () => this.launchTemplates.ensure(template), this.options.pools);
      let response;
      try {
        response = await this.client.send(new RequestSpotFleetCommand({ SpotFleetRequestConfig: config }));
      } catch (error) {
        throw mapEc2Error(error, 'RequestSpotFleet');
      }
      fleetId = response.SpotFleetRequestId;
    }
    if (!fleetId) throw new HostFactoryError('PROVIDER_ERROR', 'EC2 RequestSpotFleet returned no spot fleet request id');

    const previous = spotFleetIdsOf(request).filter((id) => id !== fleetId);
    if (previous.length > 0) {
      // Core makes a new attempt only once the earlier fleets settled: stop them for good.
      const fleets = await this.fleets.describeFleets(previous);
      await this.fleets.remove(
        [...fleets.values()].filter(isLive).map((fleet) => fleet.SpotFleetRequestId as string),
        false,
      );
    }
    return {
      machines: [],
      providerData: {
        [SPOT_FLEET_REQUEST_ID_KEY]: fleetId,
        [SPOT_FLEET_REQUEST_IDS_KEY]: unique([...previous, fleetId]).join(','),
        [SPOT_FLEET_TYPE_KEY]: fleetType,
        [SPOT_FLEET_INSTANCE_TAGS_KEY]: formatInstanceTags(template.instanceTags),
      },
    };
  }

  /**
   * RequestSpotFleet of the template as `acquire` would ask it (one unit, fleet type `request`),
   * with `DryRun`: EC2 checks the fleet role, the launch template and the overrides. It needs the
   * launch template: when the first request has not made it yet, its creation is dry-run instead
   * and RequestSpotFleet is skipped (said in `checked`). A fleet made by an endpoint ignoring
   * DryRun is cancelled with its instances at once.
   */
  async preflight(template: Template): Promise<PreflightResult> {
    let config: SpotFleetRequestConfigData | undefined;
    const launchTemplate = await this.launchTemplates.preflight(template);
    try {
      const fleetType = spotFleetType(template);
      const ref = launchTemplate.ref;
      // Built even without the launch template, so that the fleet settings (fleetRole, strategies) are checked.
      const built = await this.requestConfig(
        { template, count: 1, attempt: 1, deadline: this.clock.now() + 60_000 },
        PREFLIGHT_REQUEST_ID,
        fleetType,
        async () => ref ?? { launchTemplateId: '', version: '' },
      );
      if (ref && launchTemplate.problems.length === 0) config = { ...built, Type: 'request' };
    } catch (error) {
      return { checked: [...launchTemplate.checked, 'RequestSpotFleet input'], problems: [...launchTemplate.problems, templateProblemOf(error)] };
    }
    if (!config) {
      return {
        checked: [...launchTemplate.checked, 'RequestSpotFleet DryRun skipped: it needs the launch template'],
        problems: launchTemplate.problems,
      };
    }
    const { ClientToken: _token, ...once } = config;
    const outcome = await dryRun('RequestSpotFleet', () =>
      this.client.send(new RequestSpotFleetCommand({ DryRun: true, SpotFleetRequestConfig: once })),
    );
    if (outcome.made?.SpotFleetRequestId) await this.fleets.remove([outcome.made.SpotFleetRequestId], true);
    return { checked: [...launchTemplate.checked, 'RequestSpotFleet DryRun'], problems: outcome.problems };
  }

  private async replayedFleet(requestId: string, attempt: number): Promise<string | undefined> {
    const fleet = (await this.fleets.ownFleets()).find((f) => {
      const tags = fleetTags(f.Tags);
      return tags.requestId === requestId && tags.attempt === attempt;
    });
    return fleet?.SpotFleetRequestId;
  }

  // ---------------------------------------------------------------- acquire helpers

  /** The RequestSpotFleet config of one attempt; `resolve` gives the launch template once the template's fleet settings are valid. */
  private async requestConfig(
    input: Pick<AcquireInput, 'template' | 'count' | 'attempt' | 'deadline'>,
    requestId: string,
    fleetType: 'request' | 'maintain',
    resolve: () => Promise<LaunchTemplateRef>,
    memory: UnavailablePools = noPoolMemory,
  ): Promise<SpotFleetRequestConfigData> {
    const { template, count } = input;
    if (!template.fleetRole) {
      throw new HostFactoryError(
        'TEMPLATE_INVALID',
        `Template '${template.templateId}' needs fleetRole (the Spot Fleet IAM role ARN) for providerApi SpotFleet`,
        { details: { templateId: template.templateId, field: 'fleetRole' } },
      );
    }
    const purchase = fleetPurchase(template, count, input.attempt, 'Spot Fleet');
    const types = purchase.instanceTypes;
    // An explicit strategy on every request (never EC2's legacy default): priceCapacityOptimized,
    // AWS's recommendation, unless poolsCount asks for pools, which only lowestPrice honours.
    // With vmTypesPriority the defaults are the prioritized strategies, which read the priorities.
    const ranked = template.vmTypesPriority !== undefined;
    const spotStrategy =
      mapStrategy(template, 'allocationStrategy', template.allocationStrategy, SPOT_FLEET_ALLOCATION_STRATEGIES) ??
      (template.poolsCount !== undefined && template.poolsCount > 0
        ? 'lowestPrice'
        : ranked
          ? 'capacityOptimizedPrioritized'
          : DEFAULT_SPOT_FLEET_STRATEGY);
    const onDemandStrategy =
      mapStrategy(template, 'allocationStrategyOnDemand', template.allocationStrategyOnDemand, SPOT_FLEET_ON_DEMAND_ALLOCATION_STRATEGIES) ??
      (ranked ? 'prioritized' : 'lowestPrice');
    const onDemand = purchase.onDemand;
    const launchTemplate = await resolve();
    const prioritized = ranked || spotStrategy === 'capacityOptimizedPrioritized' || onDemandStrategy === 'prioritized';
    const overrides = await availableOverrides(
      memory,
      template,
      spotFleetOverrides(template, types, { prioritized, spot: onDemand < count }),
      purchase.buys,
    );
    const tags = launchTags({
      providerName: this.options.providerName,
      providerApi: this.api,
      requestId,
      templateId: template.templateId,
      attempt: input.attempt,
      instanceTags: template.instanceTags,
    });
    const config: SpotFleetRequestConfigData = {
      IamFleetRole: template.fleetRole,
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: launchTemplate.launchTemplateId, Version: launchTemplate.version },
          ...(overrides.length > 0 ? { Overrides: overrides } : {}),
        },
      ],
      TargetCapacity: count,
      OnDemandTargetCapacity: onDemand,
      Type: fleetType,
      ValidUntil: new Date(validUntil(template, input.deadline, this.clock.now(), purchase.phase)),
      TerminateInstancesWithExpiration: false,
      ReplaceUnhealthyInstances: false,
      ClientToken: clientToken(requestId, input.attempt),
      TagSpecifications: [{ ResourceType: 'spot-fleet-request', Tags: tags }],
    };
    config.AllocationStrategy = spotStrategy;
    config.OnDemandAllocationStrategy = onDemandStrategy;
    if (template.poolsCount !== undefined && template.poolsCount > 0 && spotStrategy === 'lowestPrice') {
      // Spot Fleet honours InstancePoolsToUseCount only with the lowestPrice strategy.
      config.InstancePoolsToUseCount = template.poolsCount;
    }
    return config;
  }
}

/** The Spot Fleet `Type` of a template: `request` (default) or `maintain`; `instant` is TEMPLATE_INVALID. */
export function spotFleetType(template: Template): 'request' | 'maintain' {
  const type = template.fleetType ?? DEFAULT_SPOT_FLEET_TYPE;
  if (type === 'request' || type === 'maintain') return type;
  throw new HostFactoryError(
    'TEMPLATE_INVALID',
    `Template '${template.templateId}': fleetType '${type}' is not a Spot Fleet type (request or maintain); use providerApi EC2Fleet for instant fleets`,
    { details: { templateId: template.templateId, field: 'fleetType', value: type } },
  );
}

/**
 * Overrides: every instance type x every subnet (just types, or just subnets, when the other is
 * not set). `WeightedCapacity` = the type's weight; `Priority` = the type's position (0 first)
 * with a prioritized strategy; `SpotPrice` = `maxSpotPrice` (per instance-hour) / weight (Spot Fleet
 * prices per unit-hour) when there is a spot part.
 */
export function spotFleetOverrides(
  template: Template,
  types: readonly string[],
  options: { readonly prioritized: boolean; readonly spot: boolean },
): LaunchTemplateOverrides[] {
  const subnets: (string | undefined)[] = template.subnetIds.length > 0 ? [...template.subnetIds] : [undefined];
  const typeList: (string | undefined)[] = types.length > 0 ? [...types] : template.instanceRequirements ? [] : [undefined];
  const price = options.spot && template.maxSpotPrice !== undefined && template.maxSpotPrice > 0 ? template.maxSpotPrice : undefined;
  const result: LaunchTemplateOverrides[] = [];
  for (const [index, type] of typeList.entries()) {
    for (const subnetId of subnets) {
      const override: LaunchTemplateOverrides = {};
      if (type) {
        override.InstanceType = type as LaunchTemplateOverrides['InstanceType'];
        override.WeightedCapacity = instanceWeight(template, type);
        if (options.prioritized) override.Priority = instancePriority(template, type, index);
      }
      if (subnetId) override.SubnetId = subnetId;
      // maxSpotPrice is per instance-hour (as for RunInstances and EC2 Fleet); Spot Fleet prices
      // per unit-hour, so a type that counts for several units may cost that many times more.
      if (price !== undefined) override.SpotPrice = formatPrice(price / (type ? instanceWeight(template, type) : 1));
      if (Object.keys(override).length > 0) result.push(override);
    }
  }
  // Attribute-based selection: one more override per subnet, with the requirements instead of a type.
  result.push(...requirementOverrides(template, 'SpotPrice', price !== undefined ? formatPrice(price) : undefined));
  return result;
}
