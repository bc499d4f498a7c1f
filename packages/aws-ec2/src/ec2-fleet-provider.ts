import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetInstance,
  type FleetData,
  type FleetLaunchTemplateOverridesRequest,
  type FleetType as Ec2FleetType,
  type SpotAllocationStrategy,
  type FleetOnDemandAllocationStrategy,
  type TargetCapacitySpecificationRequest,
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
  type FleetType,
  type MachineObservation,
  type PreflightResult,
  type ProviderApi,
  type Request,
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
import type { LaunchTemplateRef, LaunchTemplates } from './launch-templates';
import { PREFLIGHT_REQUEST_ID, clientToken } from './run-instances-provider';
import {
  DEFAULT_FLEET_TYPE,
  Ec2FleetApi,
  FLEET_IDS_KEY,
  FLEET_INSTANCE_TAGS_KEY,
  FLEET_TYPE_KEY,
  fleetErrorsReason,
  fleetIdsOf,
  refusedPools,
} from './ec2-fleet-api';
import { availableOverrides, fleetPurchase, fleetTags, formatPrice, mapStrategy, requirementOverrides, validUntil } from './fleet-common';
import { FleetCapacityProvider } from './fleet-mechanism';
import { launchTags } from './tags';

export interface Ec2FleetProviderOptions {
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

/** The spot allocation strategy of a fleet whose template names none (AWS's recommendation). */
export const DEFAULT_EC2_FLEET_SPOT_STRATEGY: SpotAllocationStrategy = 'price-capacity-optimized';
/** The on-demand allocation strategy of a fleet whose template names none. */
export const DEFAULT_EC2_FLEET_ON_DEMAND_STRATEGY: FleetOnDemandAllocationStrategy = 'lowest-price';

/** IBM `allocationStrategy` -> EC2 Fleet SpotOptions.AllocationStrategy. */
export const SPOT_ALLOCATION_STRATEGIES: Readonly<Record<string, SpotAllocationStrategy>> = {
  capacityOptimized: 'capacity-optimized',
  capacityOptimizedPrioritized: 'capacity-optimized-prioritized',
  diversified: 'diversified',
  lowestPrice: 'lowest-price',
  priceCapacityOptimized: 'price-capacity-optimized',
};

/** IBM `allocationStrategyOnDemand` -> EC2 Fleet OnDemandOptions.AllocationStrategy. */
export const ON_DEMAND_ALLOCATION_STRATEGIES: Readonly<Record<string, FleetOnDemandAllocationStrategy>> = {
  lowestPrice: 'lowest-price',
  prioritized: 'prioritized',
};

/**
 * Capacity by EC2 Fleet (`providerApi: EC2Fleet`), with the template's `fleetType`:
 *
 * - `instant` (the default): a synchronous one-shot CreateFleet, like RunInstances but across
 *   instance types, subnets and purchase options. Instance ids and per-override errors come back
 *   at once; nothing is left for the cloud to do later, so there is nothing to cancel and core's
 *   attempt loop (a new fleet per attempt) seeks what is missing. It is the default because it
 *   fits HF's request/poll model best and leaves no long-lived cloud object behind.
 * - `request`: an asynchronous one-time fleet valid until the request's deadline (sooner with
 *   `spotFleetRequestExpiry` minutes, and for the spot part of a heterogeneous template); the fleet
 *   fills over time (`fulfilling`), its instances are found with DescribeFleetInstances and
 *   tagged with the request's tags. Once it settles short, core's next attempt creates another
 *   fleet (the fleet ids are kept in `providerData.fleetIds`).
 * - `maintain`: as `request`, but the fleet also replaces interrupted instances; releasing lowers
 *   its target first (ModifyFleet, `ExcessCapacityTerminationPolicy: no-termination` so the fleet
 *   itself never picks which instances to end), then terminates the returned machines.
 *
 * Overrides are the template's instance types (`vmType` + `vmTypes`, `WeightedCapacity` = weight)
 * times its subnets; `count` is the fleet's TotalTargetCapacity in units. Price types as IBM
 * defines them ({@link purchaseOf}): `ondemand` all on-demand; `spot` `round(count *
 * percentOnDemand / 100)` units on-demand (unset = 0), the rest spot; `heterogeneous` the first
 * attempt as `spot` (a request/maintain fleet then valid until `spotFleetRequestExpiry`, default
 * 30 minutes, or halfway to the deadline, whichever is sooner), every later attempt, for what is
 * still missing, all on-demand from `vmTypesOnDemand` (else the template's types). `maxSpotPrice` (per
 * instance-hour, as IBM defines it) becomes each override's `MaxPrice` per unit-hour, i.e.
 * `maxSpotPrice / weight`. With a `*Prioritized` / `prioritized` allocation strategy, override
 * `Priority` follows `vmTypesPriority` (which also makes the prioritized strategies the defaults
 * and is always sent), else the template's instance-type order (first = highest).
 */
export class Ec2FleetProvider extends FleetCapacityProvider<FleetData> {
  readonly api: ProviderApi = 'EC2Fleet';

  constructor(
    private readonly client: Ec2Client,
    private readonly launchTemplates: LaunchTemplates,
    private readonly options: Ec2FleetProviderOptions,
  ) {
    const clock = options.clock ?? systemClock;
    super(
      new Ec2FleetApi(client, options.providerName, () => clock.now(), options.pools),
      options.instances ?? new Ec2Instances(client, clock),
      options.providerName,
      clock,
    );
  }

  /**
   * Creates one fleet for (request, attempt) (ClientToken `clientToken(requestId, attempt)`).
   * `instant`: returns the launched instances, with `shortfallReason` from the fleet's errors
   * when fewer came; throws the mapped error of the first fleet error when none came.
   * `request`/`maintain`: returns no machines and `providerData` with the fleet id.
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const { template, request } = input;
    if (!Number.isInteger(input.count) || input.count < 1) {
      throw new HostFactoryError('INVALID_INPUT', `count must be a positive integer, got ${input.count}`);
    }
    const fleetType = template.fleetType ?? DEFAULT_FLEET_TYPE;
    const replayed = input.replay ? await this.replayed(input, fleetType) : undefined;
    if (replayed) return replayed;
    const memory = this.options.pools ?? noPoolMemory;
    const params = await this.createFleetInput(input, request.requestId, fleetType, () => this.launchTemplates.ensure(template), memory);
    let response;
    try {
      response = await this.client.send(new CreateFleetCommand(params));
    } catch (error) {
      throw mapEc2Error(error, 'CreateFleet');
    }
    if (!response.FleetId) {
      throw new HostFactoryError('PROVIDER_ERROR', 'EC2 CreateFleet returned no fleet id');
    }
    const providerData = this.providerDataWith(request, template, fleetType, response.FleetId);
    if (fleetType !== 'instant') return { machines: [], providerData };

    await memory.remember(refusedPools(response.Errors ?? []));
    const reason = fleetErrorsReason(response.Errors ?? []);
    const launched = response.Instances ?? [];
    const ids = unique(launched.flatMap((instance) => instance.InstanceIds ?? []));
    if (ids.length === 0) {
      const first = response.Errors?.[0];
      if (first?.ErrorCode) {
        const error = Object.assign(new Error(first.ErrorMessage ?? first.ErrorCode), { name: first.ErrorCode });
        const mapped = mapEc2Error(error, 'CreateFleet');
        throw new HostFactoryError(mapped.code, `EC2 CreateFleet launched no instance: ${reason}`, {
          cause: error,
          details: { ...mapped.details, fleetId: response.FleetId },
        });
      }
      throw new HostFactoryError('INSUFFICIENT_CAPACITY', `EC2 CreateFleet launched no instance (fleet ${response.FleetId})`, {
        details: { fleetId: response.FleetId },
      });
    }
    const machines = await this.observeLaunched(ids, launched, request.requestId, template.templateId);
    const units = machines.reduce((sum, machine) => sum + instanceWeight(template, machine.instanceType), 0);
    if (units < input.count) {
      return {
        machines,
        providerData,
        shortfallReason: `EC2 Fleet ${response.FleetId} launched ${units} of ${input.count} units` + (reason ? `: ${reason}` : ''),
      };
    }
    return { machines, providerData };
  }

  /**
   * CreateFleet of the template as `acquire` would ask it (type `instant`, one unit, so that a
   * look-alike ignoring DryRun makes little), with `DryRun`. It needs the launch template: when
   * the first request has not made it yet, its creation is dry-run instead and CreateFleet is
   * skipped (said in `checked`).
   */
  async preflight(template: Template): Promise<PreflightResult> {
    const launchTemplate = await this.launchTemplates.preflight(template);
    const ref = launchTemplate.ref;
    let params: CreateFleetCommandInput;
    try {
      // Built even without the launch template, so that the fleet settings (types, strategies) are checked.
      params = await this.createFleetInput(
        { template, count: 1, attempt: 1, deadline: this.clock.now() + 60_000 },
        PREFLIGHT_REQUEST_ID,
        'instant',
        async () => ref ?? { launchTemplateId: '', version: '' },
      );
    } catch (error) {
      return { checked: [...launchTemplate.checked, 'CreateFleet input'], problems: [...launchTemplate.problems, templateProblemOf(error)] };
    }
    if (!ref || launchTemplate.problems.length > 0) {
      return { checked: [...launchTemplate.checked, 'CreateFleet DryRun skipped: it needs the launch template'], problems: launchTemplate.problems };
    }
    const { ClientToken: _token, ...once } = params;
    const outcome = await dryRun('CreateFleet', () => this.client.send(new CreateFleetCommand({ ...once, DryRun: true })));
    if (outcome.made?.FleetId) await this.fleets.remove([outcome.made.FleetId], true);
    return { checked: [...launchTemplate.checked, 'CreateFleet DryRun'], problems: outcome.problems };
  }

  /**
   * What a replayed attempt made before its caller died, found by its tags: an instant fleet's
   * instances, or a request/maintain fleet. Undefined when it made nothing (launch again).
   */
  private async replayed(input: AcquireInput, fleetType: FleetType): Promise<AcquireResult | undefined> {
    const { request, template, attempt } = input;
    if (fleetType === 'instant') {
      const made = await this.instances.launchedBy(request.requestId, attempt);
      if (made.length === 0) return undefined;
      const units = made.reduce((sum, o) => sum + instanceWeight(template, o.instanceType), 0);
      const providerData = { [FLEET_TYPE_KEY]: fleetType, [FLEET_INSTANCE_TAGS_KEY]: formatInstanceTags(template.instanceTags) };
      return units < input.count
        ? { machines: made, providerData, shortfallReason: `EC2 Fleet launched ${units} of ${input.count} units (attempt ${attempt})` }
        : { machines: made, providerData };
    }
    const fleet = (await this.fleets.ownFleets()).find((f) => {
      const tags = fleetTags(f.Tags);
      return tags.requestId === request.requestId && tags.attempt === attempt;
    });
    if (!fleet?.FleetId) return undefined;
    return { machines: [], providerData: this.providerDataWith(request, template, fleetType, fleet.FleetId) };
  }

  private providerDataWith(request: Request, template: Template, fleetType: FleetType, fleetId: string): Record<string, string> {
    return {
      [FLEET_IDS_KEY]: unique([...fleetIdsOf(request), fleetId]).join(','),
      [FLEET_TYPE_KEY]: fleetType,
      [FLEET_INSTANCE_TAGS_KEY]: formatInstanceTags(template.instanceTags),
    };
  }

  // ---------------------------------------------------------------- acquire helpers

  /** The CreateFleet input of one attempt; `resolve` gives the launch template once the template's fleet settings are valid. */
  private async createFleetInput(
    input: Pick<AcquireInput, 'template' | 'count' | 'attempt' | 'deadline'>,
    requestId: string,
    fleetType: FleetType,
    resolve: () => Promise<LaunchTemplateRef>,
    memory: UnavailablePools = noPoolMemory,
  ): Promise<CreateFleetCommandInput> {
    const { template, count } = input;
    const purchase = fleetPurchase(template, count, input.attempt, 'EC2 Fleet');
    const types = purchase.instanceTypes;
    // An explicit strategy on every fleet (never EC2's legacy default): AWS recommends
    // price-capacity-optimized for spot; on-demand defaults to lowest-price.
    // With vmTypesPriority the defaults are the prioritized strategies, which read the priorities.
    const ranked = template.vmTypesPriority !== undefined;
    const spotStrategy =
      mapStrategy(template, 'allocationStrategy', template.allocationStrategy, SPOT_ALLOCATION_STRATEGIES) ??
      (ranked ? 'capacity-optimized-prioritized' : DEFAULT_EC2_FLEET_SPOT_STRATEGY);
    const onDemandStrategy =
      mapStrategy(template, 'allocationStrategyOnDemand', template.allocationStrategyOnDemand, ON_DEMAND_ALLOCATION_STRATEGIES) ??
      (ranked ? 'prioritized' : DEFAULT_EC2_FLEET_ON_DEMAND_STRATEGY);
    const target = targetCapacity(template, count, purchase.onDemand);
    const launchTemplate = await resolve();
    const prioritized = ranked || spotStrategy === 'capacity-optimized-prioritized' || onDemandStrategy === 'prioritized';
    const hasSpot = (target.SpotTargetCapacity ?? 0) > 0;
    const fleetOverrides = await availableOverrides(memory, template, overrides(template, types, { prioritized, hasSpot }), purchase.buys);
    const tags = launchTags({
      providerName: this.options.providerName,
      providerApi: this.api,
      requestId,
      templateId: template.templateId,
      attempt: input.attempt,
      instanceTags: template.instanceTags,
    });
    const params: CreateFleetCommandInput = {
      Type: fleetType as Ec2FleetType,
      ClientToken: clientToken(requestId, input.attempt),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: launchTemplate.launchTemplateId, Version: launchTemplate.version },
          Overrides: fleetOverrides,
        },
      ],
      TargetCapacitySpecification: target,
      TagSpecifications: [
        { ResourceType: 'fleet', Tags: tags },
        ...(fleetType === 'instant' ? [{ ResourceType: 'instance' as const, Tags: tags }] : []),
      ],
    };
    if (hasSpot) params.SpotOptions = { AllocationStrategy: spotStrategy };
    if ((target.OnDemandTargetCapacity ?? 0) > 0) {
      params.OnDemandOptions = { AllocationStrategy: onDemandStrategy };
      // The launch template targets the reservation; an instant fleet uses it before other capacity.
      if (fleetType === 'instant' && (template.capacityReservationId || template.capacityReservationResourceGroupArn)) {
        params.OnDemandOptions.CapacityReservationOptions = { UsageStrategy: 'use-capacity-reservations-first' };
      }
    }
    if (fleetType !== 'instant') {
      // Past the deadline the request seeks no capacity; instances already running stay (HF holds them).
      params.ValidUntil = new Date(validUntil(template, input.deadline, this.clock.now(), purchase.phase));
      params.TerminateInstancesWithExpiration = false;
    }
    if (fleetType === 'maintain') {
      params.ReplaceUnhealthyInstances = false;
      params.ExcessCapacityTerminationPolicy = 'no-termination';
    }
    return params;
  }

  /** Observations of freshly launched instances; ids EC2 does not show yet come from the CreateFleet answer. */
  private async observeLaunched(
    ids: readonly string[],
    launched: readonly CreateFleetInstance[],
    requestId: string,
    templateId: string,
  ): Promise<MachineObservation[]> {
    const view = await this.instances.describe([], ids);
    const seen = new Map(view.observations.map((o) => [o.machineId, { ...o, requestId, templateId }]));
    const now = Math.floor(this.clock.now() / 1000);
    for (const instance of launched) {
      for (const id of instance.InstanceIds ?? []) {
        if (seen.has(id)) continue;
        seen.set(id, {
          machineId: id,
          requestId,
          templateId,
          name: '',
          privateIpAddress: '',
          publicIpAddress: '',
          launchTime: now,
          state: 'pending',
          instanceType: instance.InstanceType ?? '',
          priceType: instance.Lifecycle === 'spot' ? 'spot' : 'ondemand',
        });
      }
    }
    return ids.map((id) => seen.get(id) as MachineObservation);
  }
}

/** The fleet's target in units: `onDemand` of `count` on-demand (the attempt's {@link purchaseOf}), the rest spot. */
export function targetCapacity(template: Template, count: number, onDemand: number): TargetCapacitySpecificationRequest {
  return {
    TotalTargetCapacity: count,
    OnDemandTargetCapacity: onDemand,
    SpotTargetCapacity: count - onDemand,
    DefaultTargetCapacityType: onDemand >= count ? 'on-demand' : 'spot',
  };
}

function overrides(
  template: Template,
  types: readonly string[],
  options: { prioritized: boolean; hasSpot: boolean },
): FleetLaunchTemplateOverridesRequest[] {
  const subnets: (string | undefined)[] = template.subnetIds.length > 0 ? [...template.subnetIds] : [undefined];
  const weighted = Object.keys(template.vmTypes ?? {}).length > 0 || Object.keys(template.vmTypesOnDemand ?? {}).length > 0;
  const result: FleetLaunchTemplateOverridesRequest[] = [];
  for (const [index, type] of types.entries()) {
    const weight = instanceWeight(template, type);
    for (const subnetId of subnets) {
      const override: FleetLaunchTemplateOverridesRequest = {
        InstanceType: type as FleetLaunchTemplateOverridesRequest['InstanceType'],
      };
      if (subnetId) override.SubnetId = subnetId;
      if (weighted) override.WeightedCapacity = weight;
      if (options.prioritized) override.Priority = instancePriority(template, type, index);
      if (options.hasSpot && template.maxSpotPrice !== undefined && template.maxSpotPrice > 0) {
        override.MaxPrice = formatPrice(template.maxSpotPrice / weight);
      }
      result.push(override);
    }
  }
  // Attribute-based selection: one more override per subnet, with the requirements instead of a type.
  const price = options.hasSpot && template.maxSpotPrice !== undefined && template.maxSpotPrice > 0 ? formatPrice(template.maxSpotPrice) : undefined;
  result.push(...requirementOverrides(template, 'MaxPrice', price));
  return result;
}
