import {
  CreateFleetCommand,
  DeleteFleetsCommand,
  DescribeFleetHistoryCommand,
  DescribeFleetInstancesCommand,
  DescribeFleetsCommand,
  ModifyFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetError,
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
  instanceWeight,
  isEndedState,
  systemClock,
  templateInstanceTypes,
  type AcquireInput,
  type AcquireResult,
  type CapacityHolder,
  type CapacityProvider,
  type Clock,
  type CloudInventory,
  type DescribeInput,
  type DescribeResult,
  type FleetType,
  type Fulfilment,
  type Machine,
  type MachineObservation,
  type PreflightResult,
  type ProviderApi,
  type Request,
  type Template,
} from '@open-hostfactory/core';
import { allItems, chunk, idsIn, unique, withoutUnknownIds } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { Ec2Instances } from './ec2-instances';
import { awsErrorCode, mapEc2Error } from './errors';
import { dryRun, problemOf } from './dry-run';
import type { LaunchTemplateRef, LaunchTemplates } from './launch-templates';
import { PREFLIGHT_REQUEST_ID, clientToken } from './run-instances-provider';
import { claimFleetInstances, fleetTags, formatPrice, mapStrategy, onDemandUnits } from './fleet-common';
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
}

const UNKNOWN_FLEET = /^InvalidFleetId\.(NotFound|Malformed)$/;

/** `providerData` keys this provider keeps on a request. */
export const FLEET_IDS_KEY = 'fleetIds';
export const FLEET_TYPE_KEY = 'fleetType';
export const FLEET_INSTANCE_TAGS_KEY = 'instanceTags';

/** HF template `fleetType` when unset: `instant` (see {@link Ec2FleetProvider}). */
export const DEFAULT_FLEET_TYPE: FleetType = 'instant';
/** Fleet ids per DescribeFleets call (the API states no limit; kept modest). */
export const DESCRIBE_FLEETS_BATCH = 100;
/** DeleteFleets accepts up to 25 instant and up to 100 request/maintain fleets per call. */
export const DELETE_INSTANT_FLEETS_BATCH = 25;
export const DELETE_FLEETS_BATCH = 100;

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

/** Fleet states in which a fleet may still launch (or be asked to launch) instances. */
const LIVE_FLEET_STATES = new Set(['submitted', 'active', 'modifying']);

/**
 * Capacity by EC2 Fleet (`providerApi: EC2Fleet`), with the template's `fleetType`:
 *
 * - `instant` (the default): a synchronous one-shot CreateFleet, like RunInstances but across
 *   instance types, subnets and purchase options. Instance ids and per-override errors come back
 *   at once; nothing is left for the cloud to do later, so there is nothing to cancel and core's
 *   attempt loop (a new fleet per attempt) seeks what is missing. It is the default because it
 *   fits HF's request/poll model best and leaves no long-lived cloud object behind.
 * - `request`: an asynchronous one-time fleet valid until the request's deadline; the fleet
 *   fills over time (`fulfilling`), its instances are found with DescribeFleetInstances and
 *   tagged with the request's tags. Once it settles short, core's next attempt creates another
 *   fleet (the fleet ids are kept in `providerData.fleetIds`).
 * - `maintain`: as `request`, but the fleet also replaces interrupted instances; releasing lowers
 *   its target first (ModifyFleet, `ExcessCapacityTerminationPolicy: no-termination` so the fleet
 *   itself never picks which instances to end), then terminates the returned machines.
 *
 * Overrides are the template's instance types (`vmType` + `vmTypes`, `WeightedCapacity` = weight)
 * times its subnets; `count` is the fleet's TotalTargetCapacity in units. Price types: `ondemand`
 * all on-demand, `spot` all spot, `heterogeneous` `round(count * percentOnDemand / 100)` units
 * on-demand (half up; `percentOnDemand` unset = 0) and the rest spot. `maxSpotPrice` (per
 * instance-hour, as IBM defines it) becomes each override's `MaxPrice` per unit-hour, i.e.
 * `maxSpotPrice / weight`. With a `*Prioritized` / `prioritized` allocation strategy, override
 * `Priority` follows the template's instance-type order (first = highest). `vmTypesOnDemand` and
 * `vmTypesPriority` are not in core's Template and are not supported.
 */
export class Ec2FleetProvider implements CapacityProvider {
  readonly api: ProviderApi = 'EC2Fleet';
  private readonly clock: Clock;
  private readonly instances: Ec2Instances;

  constructor(
    private readonly client: Ec2Client,
    private readonly launchTemplates: LaunchTemplates,
    private readonly options: Ec2FleetProviderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.instances = options.instances ?? new Ec2Instances(client, this.clock);
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
    const params = await this.createFleetInput(input, request.requestId, fleetType, () => this.launchTemplates.ensure(template));
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
      return { checked: [...launchTemplate.checked, 'CreateFleet input'], problems: [...launchTemplate.problems, problemOf(error)] };
    }
    if (!ref || launchTemplate.problems.length > 0) {
      return { checked: [...launchTemplate.checked, 'CreateFleet DryRun skipped: it needs the launch template'], problems: launchTemplate.problems };
    }
    const { ClientToken: _token, ...once } = params;
    const outcome = await dryRun('CreateFleet', () => this.client.send(new CreateFleetCommand({ ...once, DryRun: true })));
    if (outcome.made?.FleetId) await this.deleteFleets([outcome.made.FleetId], true);
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
    const fleet = (await this.ownFleets()).find((f) => {
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

  /**
   * The instances tagged with the provider name (shared by the EC2 shapes) and every live
   * request/maintain fleet tagged with it, with the instances each holds. Instant fleets launch
   * nothing after their creation: their instances are in the instance list. Read-only.
   */
  async inventory(): Promise<CloudInventory> {
    const instances = await this.instances.tagged(this.options.providerName);
    const holders: CapacityHolder[] = [];
    for (const fleet of await this.ownFleets()) {
      const fleetId = fleet.FleetId as string;
      const tags = fleetTags(fleet.Tags);
      holders.push({
        api: this.api,
        kind: 'EC2 Fleet',
        id: fleetId,
        ...(tags.requestId ? { requestId: tags.requestId } : {}),
        instanceIds: await this.activeFleetInstances(fleetId),
      });
    }
    return { instances, holders };
  }

  /** Deletes fleets together with their instances (DeleteFleets, TerminateInstances: true). Idempotent: fleets no longer live are skipped. */
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    const fleets = await this.describeFleets(holders.map((h) => h.id));
    const live = new Set([...fleets.values()].filter((f) => LIVE_FLEET_STATES.has(f.FleetState ?? '')).map((f) => f.FleetId as string));
    // A fleet holding nothing is deleted without terminating (there is nothing to end, and some
    // EC2 look-alikes refuse to terminate an empty list).
    const withInstances = holders.filter((h) => live.has(h.id) && h.instanceIds.length > 0).map((h) => h.id);
    await this.deleteFleets(withInstances, true);
    await this.deleteFleets(
      [...live].filter((id) => !withInstances.includes(id)),
      false,
    );
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.instances.lookup(this.options.providerName, machineIds);
  }

  /** Live request/maintain fleets tagged with the provider name (DescribeFleets lists every fleet but instant ones). */
  private async ownFleets(): Promise<FleetData[]> {
    const listed = await allItems(
      (NextToken) =>
        this.client
          .send(
            new DescribeFleetsCommand({
              Filters: [
                { Name: 'fleet-state', Values: [...LIVE_FLEET_STATES] },
                { Name: 'type', Values: ['request', 'maintain'] },
              ],
              NextToken,
            }),
          )
          .catch((error: unknown) => {
            throw mapEc2Error(error, 'DescribeFleets');
          }),
      (page) => page.Fleets,
    );
    // Filters re-checked: not every EC2 look-alike applies them.
    return listed.filter(
      (fleet) =>
        fleet.FleetId &&
        LIVE_FLEET_STATES.has(fleet.FleetState ?? '') &&
        fleet.Type !== 'instant' &&
        fleetTags(fleet.Tags).providerName === this.options.providerName,
    );
  }

  /**
   * One pass: DescribeFleets for the asked requests' request/maintain fleets, DescribeFleetInstances
   * per such fleet, request tags added to fleet instances that lack them, then one batched
   * instance describe (request tags + asked machines + fleet instances). Only tags instances;
   * otherwise read-only.
   */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    const asyncRequests = input.requests.filter((request) => fleetIdsOf(request).length > 0 && fleetTypeOf(request) !== 'instant');
    const fleets = await this.describeFleets(asyncRequests.flatMap(fleetIdsOf));
    const fleetInstances = new Map<string, string[]>();
    for (const fleet of fleets.values()) {
      if (fleet.FleetId) fleetInstances.set(fleet.FleetId, await this.activeFleetInstances(fleet.FleetId));
    }
    const ownerOf = new Map<string, Request>();
    for (const request of asyncRequests) {
      for (const fleetId of fleetIdsOf(request)) {
        for (const id of fleetInstances.get(fleetId) ?? []) ownerOf.set(id, request);
      }
    }
    const asked = unique(input.machines.map((machine) => machine.machineId));
    const view = await this.instances.describe(
      input.requests.map((request) => request.requestId),
      [...asked, ...ownerOf.keys()],
    );
    const observations = await claimFleetInstances(
      this.instances,
      this.options.providerName,
      this.api,
      FLEET_INSTANCE_TAGS_KEY,
      view.observations,
      ownerOf,
    );

    const fulfilment = new Map<string, Fulfilment>();
    for (const request of asyncRequests) {
      fulfilment.set(request.requestId, await this.fulfilmentOf(request, fleets));
    }
    const askedSet = new Set(asked);
    return { observations, missing: view.missing.filter((id) => askedSet.has(id)), fulfilment };
  }

  /**
   * Per fleet of the machines' requests: a maintain fleet's target is lowered by the released
   * units first; then the machines are terminated; then fleets that hold no live instance are
   * deleted (request/maintain: `TerminateInstances: false`; instant fleets, which AWS only deletes
   * with their instances, only once every instance of theirs has ended, and best effort). Idempotent.
   */
  async release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    if (machines.length === 0) return;
    const byId = new Map(requests.map((request) => [request.requestId, request]));
    const fleetIds = unique(machines.flatMap((machine) => fleetIdsOf(byId.get(machine.requestId))));
    const fleets = await this.describeFleets(fleetIds);
    const released = new Set(machines.map((machine) => machine.machineId));
    const members = new Map<string, string[]>();
    for (const fleet of fleets.values()) {
      members.set(fleet.FleetId as string, await this.fleetMembers(fleet));
    }
    for (const fleet of fleets.values()) {
      if (fleet.Type !== 'maintain' || !LIVE_FLEET_STATES.has(fleet.FleetState ?? '')) continue;
      const own = machines.filter((machine) => (members.get(fleet.FleetId as string) ?? []).includes(machine.machineId));
      if (own.length > 0) await this.lowerTarget(fleet, own);
    }
    await this.instances.terminate([...released]);
    await this.deleteEmptyFleets([...fleets.values()], members, released);
  }

  /**
   * Stops the cloud launching more for the request: a `request` fleet is deleted without its
   * instances; a `maintain` fleet's target is lowered to what it holds (its fulfilled capacity).
   * Instant fleets launch nothing later: nothing to do. Idempotent.
   */
  async abandon(request: Request, machines: readonly Machine[]): Promise<void> {
    void machines;
    const fleets = await this.describeFleets(fleetIdsOf(request));
    const toDelete: string[] = [];
    for (const fleet of fleets.values()) {
      if (!LIVE_FLEET_STATES.has(fleet.FleetState ?? '') || !fleet.FleetId) continue;
      if (fleet.Type === 'request') toDelete.push(fleet.FleetId);
      if (fleet.Type === 'maintain') {
        const target = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
        const have = Math.floor(fleet.FulfilledCapacity ?? 0);
        if (have < target) await this.modifyTarget(fleet, target - have, 0, 0);
      }
    }
    await this.deleteFleets(toDelete, false);
  }

  // ---------------------------------------------------------------- acquire helpers

  /** The CreateFleet input of one attempt; `resolve` gives the launch template once the template's fleet settings are valid. */
  private async createFleetInput(
    input: Pick<AcquireInput, 'template' | 'count' | 'attempt' | 'deadline'>,
    requestId: string,
    fleetType: FleetType,
    resolve: () => Promise<LaunchTemplateRef>,
  ): Promise<CreateFleetCommandInput> {
    const { template, count } = input;
    const types = templateInstanceTypes(template);
    if (!template.launchTemplateId && types.length === 0) {
      throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs vmType or vmTypes for EC2 Fleet`, {
        details: { templateId: template.templateId },
      });
    }
    const spotStrategy = mapStrategy(template, 'allocationStrategy', template.allocationStrategy, SPOT_ALLOCATION_STRATEGIES);
    const onDemandStrategy = mapStrategy(
      template,
      'allocationStrategyOnDemand',
      template.allocationStrategyOnDemand,
      ON_DEMAND_ALLOCATION_STRATEGIES,
    );
    const target = targetCapacity(template, count);
    const launchTemplate = await resolve();
    const prioritized = spotStrategy === 'capacity-optimized-prioritized' || onDemandStrategy === 'prioritized';
    const hasSpot = (target.SpotTargetCapacity ?? 0) > 0;
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
          Overrides: overrides(template, types, { prioritized, hasSpot }),
        },
      ],
      TargetCapacitySpecification: target,
      TagSpecifications: [
        { ResourceType: 'fleet', Tags: tags },
        ...(fleetType === 'instant' ? [{ ResourceType: 'instance' as const, Tags: tags }] : []),
      ],
    };
    if (spotStrategy && hasSpot) params.SpotOptions = { AllocationStrategy: spotStrategy };
    if (onDemandStrategy && (target.OnDemandTargetCapacity ?? 0) > 0) {
      params.OnDemandOptions = { AllocationStrategy: onDemandStrategy };
    }
    if (fleetType !== 'instant') {
      // Past the deadline the request seeks no capacity; instances already running stay (HF holds them).
      params.ValidUntil = new Date(input.deadline);
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

  // ---------------------------------------------------------------- describe helpers

  /** Fleets by id, batched; ids EC2 does not know are left out. */
  private async describeFleets(fleetIds: readonly string[]): Promise<Map<string, FleetData>> {
    const fleets = new Map<string, FleetData>();
    for (const batch of chunk(unique(fleetIds), DESCRIBE_FLEETS_BATCH)) {
      // One unknown id fails the whole call: it is retried without the ids EC2 names.
      const { results } = await withoutUnknownIds(
        batch,
        (ids) => this.describeFleetPages(ids),
        (error) => UNKNOWN_FLEET.test(awsErrorCode(error)),
        (error) => idsIn(error, /fleet-[0-9a-f-]+/g),
      ).catch((error: unknown) => {
        throw mapEc2Error(error, 'DescribeFleets');
      });
      for (const fleet of results.flat()) if (fleet.FleetId) fleets.set(fleet.FleetId, fleet);
    }
    return fleets;
  }

  private async describeFleetPages(fleetIds: readonly string[]): Promise<FleetData[]> {
    return allItems(
      (NextToken) => this.client.send(new DescribeFleetsCommand({ FleetIds: [...fleetIds], NextToken })),
      (page) => page.Fleets,
    );
  }

  /** Instance ids a request/maintain fleet currently holds (DescribeFleetInstances, all pages). */
  private async activeFleetInstances(fleetId: string): Promise<string[]> {
    try {
      const instances = await allItems(
        (NextToken) => this.client.send(new DescribeFleetInstancesCommand({ FleetId: fleetId, NextToken })),
        (page) => page.ActiveInstances,
      );
      return instances.flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : []));
    } catch (error) {
      if (UNKNOWN_FLEET.test(awsErrorCode(error))) return [];
      throw mapEc2Error(error, 'DescribeFleetInstances');
    }
  }

  /** Instance ids of a fleet: an instant fleet lists them itself (DescribeFleetInstances does not serve instant fleets). */
  private async fleetMembers(fleet: FleetData): Promise<string[]> {
    if (fleet.Type === 'instant') return unique((fleet.Instances ?? []).flatMap((instance) => instance.InstanceIds ?? []));
    return this.activeFleetInstances(fleet.FleetId as string);
  }

  /** Adds the request tags to fleet instances that do not carry their request yet; returns the observations with it. */
  /**
   * `fulfilling` while a request/maintain fleet of the request is live, not expired and below
   * its target (ActivityStatus `pending_fulfillment`, or FulfilledCapacity < TotalTargetCapacity
   * when EC2 gives no activity status); `settled` otherwise. `reason` from the fleet's errors
   * (best effort: DescribeFleetHistory service errors).
   */
  private async fulfilmentOf(request: Request, fleets: ReadonlyMap<string, FleetData>): Promise<Fulfilment> {
    const reasons: string[] = [];
    let fulfilling = false;
    for (const fleetId of fleetIdsOf(request)) {
      const fleet = fleets.get(fleetId);
      if (!fleet) continue;
      const target = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
      const fulfilled = fleet.FulfilledCapacity ?? 0;
      const live =
        LIVE_FLEET_STATES.has(fleet.FleetState ?? '') && !(fleet.ValidUntil instanceof Date && fleet.ValidUntil.getTime() <= this.clock.now());
      const short = fleet.ActivityStatus === 'pending_fulfillment' || (fleet.ActivityStatus === undefined && fulfilled < target);
      if (live && short) fulfilling = true;
      if (fulfilled < target) {
        const reason = fleetErrorsReason(fleet.Errors ?? []) || (await this.historyReason(fleet));
        if (reason) reasons.push(reason);
      }
    }
    const reason = unique(reasons).join('; ');
    return { state: fulfilling ? 'fulfilling' : 'settled', ...(reason ? { reason } : {}) };
  }

  /** The fleet's launch errors from DescribeFleetHistory; empty when EC2 cannot say (best effort, never fails the poll). */
  private async historyReason(fleet: FleetData): Promise<string> {
    try {
      const response = await this.client.send(
        new DescribeFleetHistoryCommand({
          FleetId: fleet.FleetId,
          EventType: 'service-error',
          StartTime: fleet.CreateTime instanceof Date ? fleet.CreateTime : new Date(this.clock.now() - 24 * 3600_000),
        }),
      );
      return unique(
        (response.HistoryRecords ?? []).map((record) =>
          [record.EventInformation?.EventSubType, record.EventInformation?.EventDescription].filter(Boolean).join(': '),
        ),
      ).join('; ');
    } catch {
      return '';
    }
  }

  // ---------------------------------------------------------------- release helpers

  /** Lowers a maintain fleet's target by the released machines' units (on-demand and spot parts too), never below 0. */
  private async lowerTarget(fleet: FleetData, released: readonly Machine[]): Promise<void> {
    const units = released.reduce((sum, machine) => sum + machine.weight, 0);
    const spotUnits = released.filter((m) => m.priceType === 'spot').reduce((sum, machine) => sum + machine.weight, 0);
    await this.modifyTarget(fleet, units, units - spotUnits, spotUnits);
  }

  private async modifyTarget(fleet: FleetData, units: number, onDemandUnits: number, spotUnits: number): Promise<void> {
    const current = fleet.TargetCapacitySpecification ?? {};
    const total = Math.max(0, (current.TotalTargetCapacity ?? 0) - units);
    const spec: TargetCapacitySpecificationRequest = { TotalTargetCapacity: total };
    if (current.OnDemandTargetCapacity !== undefined) {
      spec.OnDemandTargetCapacity = Math.min(total, Math.max(0, current.OnDemandTargetCapacity - onDemandUnits));
    }
    if (current.SpotTargetCapacity !== undefined) {
      spec.SpotTargetCapacity = Math.min(total, Math.max(0, current.SpotTargetCapacity - spotUnits));
    }
    if (spec.OnDemandTargetCapacity !== undefined && spec.SpotTargetCapacity !== undefined) {
      // Keep the parts within the total (units released from one part may exceed what it had).
      const excess = spec.OnDemandTargetCapacity + spec.SpotTargetCapacity - total;
      if (excess > 0) spec.SpotTargetCapacity = Math.max(0, spec.SpotTargetCapacity - excess);
    }
    try {
      await this.client.send(
        new ModifyFleetCommand({
          FleetId: fleet.FleetId,
          TargetCapacitySpecification: spec,
          ExcessCapacityTerminationPolicy: 'no-termination',
        }),
      );
    } catch (error) {
      throw mapEc2Error(error, 'ModifyFleet');
    }
    fleet.TargetCapacitySpecification = { ...current, ...spec };
  }

  private async deleteEmptyFleets(
    fleets: readonly FleetData[],
    members: ReadonlyMap<string, string[]>,
    released: ReadonlySet<string>,
  ): Promise<void> {
    const instant: string[] = [];
    const others: string[] = [];
    for (const fleet of fleets) {
      const fleetId = fleet.FleetId as string;
      if (fleet.FleetState?.startsWith('deleted')) continue;
      if (fleet.Type === 'maintain' && (fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0) > 0) continue;
      const remaining = (members.get(fleetId) ?? []).filter((id) => !released.has(id));
      if (remaining.length > 0) {
        const view = await this.instances.describe([], remaining);
        if (view.observations.some((o) => !isEndedState(o.state))) continue;
      }
      (fleet.Type === 'instant' ? instant : others).push(fleetId);
    }
    // Instant fleets can only be deleted with their instances; every one of them has ended here.
    // An instant fleet launches nothing after its creation, so deleting it is housekeeping only:
    // a failure there (moto, for one, rejects deleting an instant fleet whose instances are all
    // terminated) must not fail a release whose machines are already terminated.
    try {
      await this.deleteFleets(instant, true);
    } catch {
      // best effort, see above
    }
    await this.deleteFleets(others, false);
  }

  /** DeleteFleets in batches; fleets already gone are fine. */
  private async deleteFleets(fleetIds: readonly string[], terminateInstances: boolean): Promise<void> {
    const size = terminateInstances ? DELETE_INSTANT_FLEETS_BATCH : DELETE_FLEETS_BATCH;
    for (const batch of chunk(unique(fleetIds), size)) {
      let response;
      try {
        response = await this.client.send(new DeleteFleetsCommand({ FleetIds: batch, TerminateInstances: terminateInstances }));
      } catch (error) {
        throw mapEc2Error(error, 'DeleteFleets');
      }
      const failed = (response.UnsuccessfulFleetDeletions ?? []).filter(
        (failure) => failure.Error?.Code !== 'fleetIdDoesNotExist' && failure.Error?.Code !== 'fleetNotInDeletableState',
      );
      if (failed.length > 0) {
        throw new HostFactoryError(
          'PROVIDER_ERROR',
          `EC2 DeleteFleets failed: ${failed.map((f) => `${f.FleetId}: ${f.Error?.Code}: ${f.Error?.Message}`).join('; ')}`,
          { transient: true, details: { action: 'DeleteFleets' } },
        );
      }
    }
  }
}

/** The fleet ids recorded on a request (`providerData.fleetIds`, comma-separated). */
export function fleetIdsOf(request: Request | undefined): string[] {
  return (request?.providerData[FLEET_IDS_KEY] ?? '').split(',').filter((id) => id !== '');
}

function fleetTypeOf(request: Request): string {
  return request.providerData[FLEET_TYPE_KEY] ?? DEFAULT_FLEET_TYPE;
}

/**
 * The fleet's target in units, split by price type: `heterogeneous` puts
 * `round(count * percentOnDemand / 100)` units (half up, within 0..count) on-demand.
 */
export function targetCapacity(template: Template, count: number): TargetCapacitySpecificationRequest {
  const onDemand = onDemandUnits(template, count);
  return {
    TotalTargetCapacity: count,
    OnDemandTargetCapacity: onDemand,
    SpotTargetCapacity: count - onDemand,
    DefaultTargetCapacityType: template.priceType === 'ondemand' ? 'on-demand' : 'spot',
  };
}

function overrides(
  template: Template,
  types: readonly string[],
  options: { prioritized: boolean; hasSpot: boolean },
): FleetLaunchTemplateOverridesRequest[] {
  const subnets: (string | undefined)[] = template.subnetIds.length > 0 ? [...template.subnetIds] : [undefined];
  const weighted = template.vmTypes !== undefined && Object.keys(template.vmTypes).length > 0;
  const result: FleetLaunchTemplateOverridesRequest[] = [];
  for (const [index, type] of types.entries()) {
    const weight = instanceWeight(template, type);
    for (const subnetId of subnets) {
      const override: FleetLaunchTemplateOverridesRequest = {
        InstanceType: type as FleetLaunchTemplateOverridesRequest['InstanceType'],
      };
      if (subnetId) override.SubnetId = subnetId;
      if (weighted) override.WeightedCapacity = weight;
      if (options.prioritized) override.Priority = index;
      if (options.hasSpot && template.maxSpotPrice !== undefined && template.maxSpotPrice > 0) {
        override.MaxPrice = formatPrice(template.maxSpotPrice / weight);
      }
      result.push(override);
    }
  }
  return result;
}

/** `ErrorCode: ErrorMessage` of fleet errors, each once. */
function fleetErrorsReason(errors: readonly CreateFleetError[]): string {
  return unique(errors.map((error) => [error.ErrorCode, error.ErrorMessage].filter(Boolean).join(': '))).join('; ');
}
