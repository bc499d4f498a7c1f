import {
  CancelSpotFleetRequestsCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestHistoryCommand,
  DescribeSpotFleetRequestsCommand,
  ModifySpotFleetRequestCommand,
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
  instanceWeight,
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
import type { LaunchTemplateRef } from './launch-templates';
import { PREFLIGHT_REQUEST_ID, clientToken } from './run-instances-provider';
import { claimFleetInstances, fleetTags, formatPrice, mapStrategy, onDemandUnits } from './fleet-common';
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
}

/** `providerData` keys this provider keeps on a request. */
export const SPOT_FLEET_REQUEST_ID_KEY = 'spotFleetRequestId';
export const SPOT_FLEET_REQUEST_IDS_KEY = 'spotFleetRequestIds';
export const SPOT_FLEET_TYPE_KEY = 'spotFleetType';
export const SPOT_FLEET_INSTANCE_TAGS_KEY = 'instanceTags';

/** Spot Fleet request type when the template sets no `fleetType` (IBM's provider uses one-time requests). */
export const DEFAULT_SPOT_FLEET_TYPE = 'request';
/** Spot fleet request ids per DescribeSpotFleetRequests / CancelSpotFleetRequests call. */
export const SPOT_FLEET_BATCH = 100;
/** Most error events used to explain a fleet's shortfall. */
const HISTORY_REASONS = 3;

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

/** Spot fleet request states in which the fleet may still launch instances. */
const LIVE_STATES = new Set(['submitted', 'active', 'modifying']);
const UNKNOWN_FLEET = /^InvalidSpotFleetRequestId\.(NotFound|Malformed)$/;
const CANCEL_IGNORED = new Set(['fleetRequestIdDoesNotExist', 'fleetRequestIdMalformed', 'fleetRequestNotInCancellableState']);

/**
 * Capacity by EC2 Spot Fleet (`providerApi: SpotFleet`, IBM's own shape), one Spot Fleet request
 * per (request, attempt):
 *
 * - RequestSpotFleet with the template's launch template ({@link LaunchTemplateSource}), overrides
 *   = instance types (`vmType` + `vmTypes`) x subnets, `WeightedCapacity` = the type's weight,
 *   `SpotPrice` = `maxSpotPrice` / weight (`maxSpotPrice` is per instance-hour for every API; Spot
 *   Fleet prices per unit-hour), `TargetCapacity` = `count` units.
 * - Price types: `spot` 0 units on-demand; `ondemand` all units on-demand (Spot Fleet can launch
 *   on-demand too); `heterogeneous` `round(count * percentOnDemand / 100)` units on-demand (half
 *   up, clamped to 0..count; `percentOnDemand` unset = 0), the rest spot.
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
export class SpotFleetProvider implements CapacityProvider {
  readonly api: ProviderApi = 'SpotFleet';
  private readonly clock: Clock;
  private readonly instances: Ec2Instances;

  constructor(
    private readonly client: Ec2Client,
    private readonly launchTemplates: LaunchTemplateSource,
    private readonly options: SpotFleetProviderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.instances = options.instances ?? new Ec2Instances(client, this.clock);
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
      const config = await this.requestConfig(input, request.requestId, fleetType, () => this.launchTemplates.ensure(template));
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
      const fleets = await this.describeFleets(previous);
      await this.cancel([...fleets.values()].filter(isLive).map((fleet) => fleet.SpotFleetRequestId as string));
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
      return { checked: [...launchTemplate.checked, 'RequestSpotFleet input'], problems: [...launchTemplate.problems, problemOf(error)] };
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
    if (outcome.made?.SpotFleetRequestId) await this.cancel([outcome.made.SpotFleetRequestId], true);
    return { checked: [...launchTemplate.checked, 'RequestSpotFleet DryRun'], problems: outcome.problems };
  }

  private async replayedFleet(requestId: string, attempt: number): Promise<string | undefined> {
    const fleet = (await this.ownFleets()).find((f) => {
      const tags = fleetTags(f.Tags);
      return tags.requestId === requestId && tags.attempt === attempt;
    });
    return fleet?.SpotFleetRequestId;
  }

  /**
   * The instances tagged with the provider name (shared by the EC2 shapes) and every live Spot
   * Fleet request tagged with it, with the instances each holds. Read-only.
   */
  async inventory(): Promise<CloudInventory> {
    const instances = await this.instances.tagged(this.options.providerName);
    const holders: CapacityHolder[] = [];
    for (const fleet of await this.ownFleets()) {
      const fleetId = fleet.SpotFleetRequestId as string;
      const tags = fleetTags(fleet.Tags);
      holders.push({
        api: this.api,
        kind: 'Spot Fleet request',
        id: fleetId,
        ...(tags.requestId ? { requestId: tags.requestId } : {}),
        instanceIds: await this.fleetInstances(fleetId),
      });
    }
    return { instances, holders };
  }

  /** Cancels Spot Fleet requests together with their instances (TerminateInstances: true). Idempotent: requests no longer live are skipped. */
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    const fleets = await this.describeFleets(holders.map((h) => h.id));
    const live = new Set([...fleets.values()].filter(isLive).map((f) => f.SpotFleetRequestId as string));
    // A request holding nothing is cancelled without terminating (there is nothing to end, and
    // some EC2 look-alikes refuse to terminate an empty list).
    const withInstances = holders.filter((h) => live.has(h.id) && h.instanceIds.length > 0).map((h) => h.id);
    await this.cancel(withInstances, true);
    await this.cancel(
      [...live].filter((id) => !withInstances.includes(id)),
      false,
    );
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.instances.lookup(this.options.providerName, machineIds);
  }

  /** Live Spot Fleet requests tagged with the provider name (DescribeSpotFleetRequests without ids lists them all). */
  private async ownFleets(): Promise<SpotFleetRequestConfig[]> {
    const listed = await allItems(
      (NextToken) =>
        this.client.send(new DescribeSpotFleetRequestsCommand({ NextToken })).catch((error: unknown) => {
          throw mapEc2Error(error, 'DescribeSpotFleetRequests');
        }),
      (page) => page.SpotFleetRequestConfigs,
    );
    return listed.filter((fleet) => fleet.SpotFleetRequestId && isLive(fleet) && fleetTags(fleet.Tags).providerName === this.options.providerName);
  }

  /**
   * One pass: DescribeSpotFleetRequests for the asked requests' fleets (batched), DescribeSpotFleetInstances
   * per fleet (paginated), request tags added to fleet instances that lack them, then one batched
   * instance describe (request tags + asked machines + fleet instances). Only tags instances;
   * otherwise read-only.
   */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    const fleetRequests = input.requests.filter((request) => spotFleetIdsOf(request).length > 0);
    const fleets = await this.describeFleets(fleetRequests.flatMap(spotFleetIdsOf));
    const ownerOf = new Map<string, Request>();
    for (const request of fleetRequests) {
      for (const fleetId of spotFleetIdsOf(request)) {
        if (!fleets.has(fleetId)) continue;
        for (const id of await this.fleetInstances(fleetId)) ownerOf.set(id, request);
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
      SPOT_FLEET_INSTANCE_TAGS_KEY,
      view.observations,
      ownerOf,
    );
    const fulfilment = new Map<string, Fulfilment>();
    for (const request of fleetRequests) {
      fulfilment.set(request.requestId, await this.fulfilmentOf(request, fleets));
    }
    const askedIds = new Set(asked);
    return { observations, missing: view.missing.filter((id) => askedIds.has(id)), fulfilment };
  }

  /**
   * Per fleet of the machines' requests: a live `maintain` fleet's target is lowered by the units
   * of the released machines it holds (so it does not replace them), then all machines are
   * terminated, then fleets that hold no other instance and have nothing left to launch are
   * cancelled (`TerminateInstances: false`). Idempotent: a second release finds the machines no
   * longer in the fleet and lowers nothing.
   */
  async release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    if (machines.length === 0) return;
    const byId = new Map(requests.map((request) => [request.requestId, request]));
    const typeOf = new Map<string, string>();
    for (const machine of machines) {
      const request = byId.get(machine.requestId);
      for (const id of spotFleetIdsOf(request)) typeOf.set(id, request?.providerData[SPOT_FLEET_TYPE_KEY] ?? '');
    }
    const fleets = await this.describeFleets([...typeOf.keys()]);
    const released = new Set(machines.map((machine) => machine.machineId));
    const members = new Map<string, string[]>();
    for (const fleetId of fleets.keys()) members.set(fleetId, await this.fleetInstances(fleetId));

    const targets = new Map<string, number>();
    for (const [fleetId, fleet] of fleets) {
      const type = fleet.SpotFleetRequestConfig?.Type ?? typeOf.get(fleetId);
      if (type !== 'maintain' || !isLive(fleet)) continue;
      const own = machines.filter((machine) => (members.get(fleetId) ?? []).includes(machine.machineId));
      if (own.length > 0) targets.set(fleetId, await this.lowerTarget(fleet, own));
    }
    await this.instances.terminate([...released]);

    const empty: string[] = [];
    for (const [fleetId, fleet] of fleets) {
      if (!isLive(fleet)) continue;
      const remaining = (members.get(fleetId) ?? []).filter((id) => !released.has(id));
      if (remaining.length > 0) continue;
      const lowered = targets.get(fleetId);
      if (lowered === 0 || (lowered === undefined && !isFulfilling(fleet, this.clock.now()))) empty.push(fleetId);
    }
    await this.cancel(empty);
  }

  /**
   * Stops the cloud launching more for the request: every live fleet of it is cancelled with
   * `TerminateInstances: false` (its instances stay HF's). Idempotent.
   */
  async abandon(request: Request, machines: readonly Machine[]): Promise<void> {
    void machines;
    const fleets = await this.describeFleets(spotFleetIdsOf(request));
    await this.cancel([...fleets.values()].filter(isLive).map((fleet) => fleet.SpotFleetRequestId as string));
  }

  // ---------------------------------------------------------------- acquire helpers

  /** The RequestSpotFleet config of one attempt; `resolve` gives the launch template once the template's fleet settings are valid. */
  private async requestConfig(
    input: Pick<AcquireInput, 'template' | 'count' | 'attempt' | 'deadline'>,
    requestId: string,
    fleetType: 'request' | 'maintain',
    resolve: () => Promise<LaunchTemplateRef>,
  ): Promise<SpotFleetRequestConfigData> {
    const { template, count } = input;
    if (!template.fleetRole) {
      throw new HostFactoryError(
        'TEMPLATE_INVALID',
        `Template '${template.templateId}' needs fleetRole (the Spot Fleet IAM role ARN) for providerApi SpotFleet`,
        { details: { templateId: template.templateId, field: 'fleetRole' } },
      );
    }
    const types = templateInstanceTypes(template);
    if (!template.launchTemplateId && types.length === 0) {
      throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs vmType or vmTypes for Spot Fleet`, {
        details: { templateId: template.templateId },
      });
    }
    const spotStrategy = mapStrategy(template, 'allocationStrategy', template.allocationStrategy, SPOT_FLEET_ALLOCATION_STRATEGIES);
    const onDemandStrategy = mapStrategy(
      template,
      'allocationStrategyOnDemand',
      template.allocationStrategyOnDemand,
      SPOT_FLEET_ON_DEMAND_ALLOCATION_STRATEGIES,
    );
    const onDemand = onDemandUnits(template, count);
    const launchTemplate = await resolve();
    const prioritized = spotStrategy === 'capacityOptimizedPrioritized' || onDemandStrategy === 'prioritized';
    const overrides = spotFleetOverrides(template, types, { prioritized, spot: onDemand < count });
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
      ValidUntil: new Date(validUntil(template, input.deadline, this.clock.now())),
      TerminateInstancesWithExpiration: false,
      ReplaceUnhealthyInstances: false,
      ClientToken: clientToken(requestId, input.attempt),
      TagSpecifications: [{ ResourceType: 'spot-fleet-request', Tags: tags }],
    };
    if (spotStrategy) config.AllocationStrategy = spotStrategy;
    if (onDemandStrategy) config.OnDemandAllocationStrategy = onDemandStrategy;
    if (template.poolsCount !== undefined && template.poolsCount > 0 && spotStrategy === 'lowestPrice') {
      // Spot Fleet honours InstancePoolsToUseCount only with the lowestPrice strategy.
      config.InstancePoolsToUseCount = template.poolsCount;
    }
    return config;
  }

  // ---------------------------------------------------------------- describe helpers

  /** Spot fleet requests by id, batched and paginated; ids EC2 does not know are left out. */
  private async describeFleets(fleetIds: readonly string[]): Promise<Map<string, SpotFleetRequestConfig>> {
    const fleets = new Map<string, SpotFleetRequestConfig>();
    for (const batch of chunk(unique(fleetIds), SPOT_FLEET_BATCH)) {
      // One unknown id fails the whole call: it is retried without the ids EC2 names.
      const { results } = await withoutUnknownIds(
        batch,
        (ids) => this.describeFleetPages(ids),
        (error) => UNKNOWN_FLEET.test(awsErrorCode(error)),
        (error) => idsIn(error, /sfr-[0-9a-f-]+/g),
      ).catch((error: unknown) => {
        throw mapEc2Error(error, 'DescribeSpotFleetRequests');
      });
      for (const fleet of results.flat()) fleets.set(fleet.SpotFleetRequestId as string, fleet);
    }
    return fleets;
  }

  private async describeFleetPages(fleetIds: readonly string[]): Promise<SpotFleetRequestConfig[]> {
    const listed = await allItems(
      (NextToken) => this.client.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [...fleetIds], NextToken })),
      (page) => page.SpotFleetRequestConfigs,
    );
    // Only the asked fleets (an empty id list would list every fleet of the account).
    return listed.filter((fleet) => fleet.SpotFleetRequestId && fleetIds.includes(fleet.SpotFleetRequestId));
  }

  /** Instance ids a spot fleet request currently holds (DescribeSpotFleetInstances, all pages). */
  private async fleetInstances(fleetId: string): Promise<string[]> {
    try {
      const instances = await allItems(
        (NextToken) => this.client.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetId, NextToken })),
        (page) => page.ActiveInstances,
      );
      return unique(instances.flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : [])));
    } catch (error) {
      if (UNKNOWN_FLEET.test(awsErrorCode(error))) return [];
      throw mapEc2Error(error, 'DescribeSpotFleetInstances');
    }
  }

  /** Adds the request tags to fleet instances that do not carry a request yet; returns the observations with it. */
  /**
   * `fulfilling` while a fleet of the request is live and still short of its target
   * ({@link isFulfilling}); `settled` otherwise. `reason`, when the latest fleet is short, from its
   * error events (DescribeSpotFleetRequestHistory, best effort) or else its state and activity.
   */
  private async fulfilmentOf(request: Request, fleets: ReadonlyMap<string, SpotFleetRequestConfig>): Promise<Fulfilment> {
    const ids = spotFleetIdsOf(request);
    const now = this.clock.now();
    if (ids.some((id) => isFulfilling(fleets.get(id), now))) return { state: 'fulfilling' };
    const latest = fleets.get(ids[ids.length - 1] as string);
    if (!latest) return { state: 'settled' };
    const config = latest.SpotFleetRequestConfig ?? ({} as Partial<SpotFleetRequestConfigData>);
    const target = config.TargetCapacity ?? 0;
    const fulfilled = config.FulfilledCapacity ?? 0;
    if (fulfilled >= target && latest.ActivityStatus !== 'error') return { state: 'settled' };
    const history = await this.historyReason(latest, request);
    const reason =
      history ||
      `Spot Fleet ${latest.SpotFleetRequestId} is ${latest.SpotFleetRequestState ?? 'unknown'}` +
        (latest.ActivityStatus ? ` (${latest.ActivityStatus})` : '') +
        `: ${fulfilled} of ${target} units fulfilled`;
    return { state: 'settled', reason };
  }

  /** The fleet's recent error events (`EventSubType: EventDescription`); empty when EC2 cannot say. Never fails the poll. */
  private async historyReason(fleet: SpotFleetRequestConfig, request: Request): Promise<string> {
    try {
      const response = await this.client.send(
        new DescribeSpotFleetRequestHistoryCommand({
          SpotFleetRequestId: fleet.SpotFleetRequestId,
          EventType: 'error',
          StartTime: fleet.CreateTime instanceof Date ? fleet.CreateTime : new Date(request.createdAt),
        }),
      );
      const reasons = (response.HistoryRecords ?? [])
        .filter((record) => record.EventType === undefined || record.EventType === 'error')
        .map((record) => [record.EventInformation?.EventSubType, record.EventInformation?.EventDescription].filter(Boolean).join(': '))
        .filter((text) => text !== '');
      return unique(reasons).slice(-HISTORY_REASONS).join('; ');
    } catch {
      return '';
    }
  }

  // ---------------------------------------------------------------- release helpers

  /**
   * Lowers a maintain fleet's target by the released machines' units (never below 0), keeping
   * OnDemandTargetCapacity within it. Returns the new target.
   */
  private async lowerTarget(fleet: SpotFleetRequestConfig, released: readonly Machine[]): Promise<number> {
    const config = fleet.SpotFleetRequestConfig ?? ({} as Partial<SpotFleetRequestConfigData>);
    const units = released.reduce((sum, machine) => sum + machine.weight, 0);
    const target = Math.max(0, (config.TargetCapacity ?? 0) - units);
    const onDemandReleased = released.filter((m) => m.priceType === 'ondemand').reduce((sum, m) => sum + m.weight, 0);
    const params = {
      SpotFleetRequestId: fleet.SpotFleetRequestId,
      TargetCapacity: target,
      ExcessCapacityTerminationPolicy: 'noTermination' as const,
      ...(config.OnDemandTargetCapacity !== undefined
        ? { OnDemandTargetCapacity: Math.min(target, Math.max(0, config.OnDemandTargetCapacity - onDemandReleased)) }
        : {}),
    };
    try {
      await this.client.send(new ModifySpotFleetRequestCommand(params));
    } catch (error) {
      throw mapEc2Error(error, 'ModifySpotFleetRequest');
    }
    return target;
  }

  /** CancelSpotFleetRequests (instances kept unless `terminateInstances`), batched; fleets gone or already cancelled are fine. */
  private async cancel(fleetIds: readonly string[], terminateInstances = false): Promise<void> {
    for (const batch of chunk(unique(fleetIds), SPOT_FLEET_BATCH)) {
      let response;
      try {
        response = await this.client.send(new CancelSpotFleetRequestsCommand({ SpotFleetRequestIds: batch, TerminateInstances: terminateInstances }));
      } catch (error) {
        throw mapEc2Error(error, 'CancelSpotFleetRequests');
      }
      const failed = (response.UnsuccessfulFleetRequests ?? []).filter((item) => !CANCEL_IGNORED.has(item.Error?.Code ?? ''));
      if (failed.length > 0) {
        throw new HostFactoryError(
          'PROVIDER_ERROR',
          `EC2 CancelSpotFleetRequests failed: ${failed
            .map((item) => `${item.SpotFleetRequestId}: ${item.Error?.Code}: ${item.Error?.Message}`)
            .join('; ')}`,
          { transient: true, details: { action: 'CancelSpotFleetRequests' } },
        );
      }
    }
  }
}

/** The spot fleet request ids recorded on a request (`providerData.spotFleetRequestIds`, else `spotFleetRequestId`). */
export function spotFleetIdsOf(request: Request | undefined): string[] {
  const data = request?.providerData ?? {};
  const ids = (data[SPOT_FLEET_REQUEST_IDS_KEY] ?? '').split(',');
  return unique([...ids, data[SPOT_FLEET_REQUEST_ID_KEY] ?? '']);
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

/** Epoch ms the fleet stops launching: the request's deadline, or earlier with `spotFleetRequestExpiry` (minutes). */
export function validUntil(template: Template, deadline: number, now: number): number {
  const expiry = template.spotFleetRequestExpiry;
  if (expiry === undefined || !(expiry > 0)) return deadline;
  return Math.min(deadline, now + expiry * 60_000);
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
  const typeList: (string | undefined)[] = types.length > 0 ? [...types] : [undefined];
  const price = options.spot && template.maxSpotPrice !== undefined && template.maxSpotPrice > 0 ? template.maxSpotPrice : undefined;
  const result: LaunchTemplateOverrides[] = [];
  for (const [index, type] of typeList.entries()) {
    for (const subnetId of subnets) {
      const override: LaunchTemplateOverrides = {};
      if (type) {
        override.InstanceType = type as LaunchTemplateOverrides['InstanceType'];
        override.WeightedCapacity = instanceWeight(template, type);
        if (options.prioritized) override.Priority = index;
      }
      if (subnetId) override.SubnetId = subnetId;
      // maxSpotPrice is per instance-hour (as for RunInstances and EC2 Fleet); Spot Fleet prices
      // per unit-hour, so a type that counts for several units may cost that many times more.
      if (price !== undefined) override.SpotPrice = formatPrice(price / (type ? instanceWeight(template, type) : 1));
      if (Object.keys(override).length > 0) result.push(override);
    }
  }
  return result;
}

/** True while the fleet request may launch instances (submitted, active, modifying). */
function isLive(fleet: SpotFleetRequestConfig | undefined): boolean {
  return fleet !== undefined && LIVE_STATES.has(fleet.SpotFleetRequestState ?? '');
}

/**
 * True while the fleet launches by itself: live, not past ValidUntil, and short of its target
 * (ActivityStatus `pending_fulfillment`, or no ActivityStatus and FulfilledCapacity < TargetCapacity).
 * `fulfilled`, `error` and `pending_termination` activities are settled.
 */
function isFulfilling(fleet: SpotFleetRequestConfig | undefined, now: number): boolean {
  if (!fleet || !isLive(fleet)) return false;
  const config = fleet.SpotFleetRequestConfig;
  if (config?.ValidUntil instanceof Date && config.ValidUntil.getTime() <= now) return false;
  if (fleet.ActivityStatus !== undefined) return fleet.ActivityStatus === 'pending_fulfillment';
  return (config?.FulfilledCapacity ?? 0) < (config?.TargetCapacity ?? 0);
}
