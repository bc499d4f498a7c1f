import {
  DeleteFleetsCommand,
  DescribeFleetHistoryCommand,
  DescribeFleetInstancesCommand,
  DescribeFleetsCommand,
  ModifyFleetCommand,
  type CreateFleetError,
  type DescribeFleetError,
  type FleetData,
  type TargetCapacitySpecificationRequest,
} from '@aws-sdk/client-ec2';
import {
  HostFactoryError,
  describePool,
  noPoolMemory,
  type CapacityPool,
  type Machine,
  type PoolRefusal,
  type ProviderApi,
  type Request,
  type UnavailablePools,
} from '@open-hostfactory/core';
import { allItems, chunk, idsIn, unique, withoutUnknownIds } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, isPoolRefusal, mapEc2Error } from './errors';
import { fleetTags } from './fleet-common';
import type { FleetApi, FleetState } from './fleet-mechanism';

/** `providerData` keys the EC2 Fleet provider keeps on a request. */
export const FLEET_IDS_KEY = 'fleetIds';
export const FLEET_TYPE_KEY = 'fleetType';
export const FLEET_INSTANCE_TAGS_KEY = 'instanceTags';
/** HF template `fleetType` when unset: `instant` (see Ec2FleetProvider). */
export const DEFAULT_FLEET_TYPE = 'instant';
/** Fleet ids per DescribeFleets call (the API states no limit; kept modest). */
export const DESCRIBE_FLEETS_BATCH = 100;
/** DeleteFleets accepts up to 25 instant and up to 100 request/maintain fleets per call. */
export const DELETE_INSTANT_FLEETS_BATCH = 25;
export const DELETE_FLEETS_BATCH = 100;

const UNKNOWN_FLEET = /^InvalidFleetId\.(NotFound|Malformed)$/;
const LIVE_FLEET_STATES = new Set(['submitted', 'active', 'modifying']);

/** The EC2 Fleet calls under the shared fleet mechanism (DescribeFleets, DescribeFleetInstances, ModifyFleet, DeleteFleets). */
export class Ec2FleetApi implements FleetApi<FleetData> {
  readonly api: ProviderApi = 'EC2Fleet';
  readonly kind = 'EC2 Fleet';
  readonly instanceTagsKey = FLEET_INSTANCE_TAGS_KEY;

  constructor(
    private readonly client: Ec2Client,
    private readonly providerName: string,
    private readonly now: () => number,
    private readonly memory: UnavailablePools = noPoolMemory,
  ) {}

  fleetIdsOf(request: Request | undefined): string[] {
    return fleetIdsOf(request);
  }

  /** Request and maintain fleets fill over time; an instant fleet's instances came with its creation. */
  fillsOverTime(request: Request): boolean {
    return (request.providerData[FLEET_TYPE_KEY] ?? DEFAULT_FLEET_TYPE) !== 'instant';
  }

  /** Fleets by id, batched; ids EC2 does not know are left out. */
  async describeFleets(fleetIds: readonly string[]): Promise<Map<string, FleetData>> {
    const fleets = new Map<string, FleetData>();
    for (const batch of chunk(unique(fleetIds), DESCRIBE_FLEETS_BATCH)) {
      // One unknown id fails the whole call: it is retried without the ids EC2 names.
      const { results } = await withoutUnknownIds(
        batch,
        (ids) =>
          allItems(
            (NextToken) => this.client.send(new DescribeFleetsCommand({ FleetIds: [...ids], NextToken })),
            (page) => page.Fleets,
          ),
        (error) => UNKNOWN_FLEET.test(awsErrorCode(error)),
        (error) => idsIn(error, /fleet-[0-9a-f-]+/g),
      ).catch((error: unknown) => {
        throw mapEc2Error(error, 'DescribeFleets');
      });
      for (const fleet of results.flat()) if (fleet.FleetId) fleets.set(fleet.FleetId, fleet);
    }
    return fleets;
  }

  /** Live request/maintain fleets tagged with the provider name (DescribeFleets lists every fleet but instant ones). */
  async ownFleets(): Promise<FleetData[]> {
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
        fleetTags(fleet.Tags).providerName === this.providerName,
    );
  }

  /**
   * `fulfilling` while live, not past ValidUntil and below its target (ActivityStatus
   * `pending_fulfillment`, or FulfilledCapacity < TotalTargetCapacity when EC2 gives no activity status).
   */
  state(fleet: FleetData, now: number): FleetState {
    const target = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
    const fulfilled = fleet.FulfilledCapacity ?? 0;
    const live = LIVE_FLEET_STATES.has(fleet.FleetState ?? '');
    const expired = fleet.ValidUntil instanceof Date && fleet.ValidUntil.getTime() <= now;
    const short = fleet.ActivityStatus === 'pending_fulfillment' || (fleet.ActivityStatus === undefined && fulfilled < target);
    return { id: fleet.FleetId as string, type: fleet.Type, live, fulfilling: live && !expired && short, target, tags: fleet.Tags };
  }

  /** Instance ids of a fleet: an instant fleet lists them itself (DescribeFleetInstances does not serve instant fleets). */
  async members(fleet: FleetData): Promise<string[]> {
    if (fleet.Type === 'instant') return unique((fleet.Instances ?? []).flatMap((instance) => instance.InstanceIds ?? []));
    return this.activeInstances(fleet.FleetId as string);
  }

  /**
   * The launch errors of the request's fleets short of their target (their Errors, else
   * DescribeFleetHistory, best effort). The pools those errors refuse for capacity are remembered
   * as unavailable, so that the next attempts and other requests leave them out.
   */
  async reason(request: Request, fleets: readonly FleetData[]): Promise<string> {
    const reasons: string[] = [];
    for (const fleet of fleets) {
      if ((fleet.FulfilledCapacity ?? 0) >= (fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0)) continue;
      await this.memory.remember(refusedPools(fleet.Errors ?? []));
      const reason = fleetErrorsReason(fleet.Errors ?? []) || (await this.historyReason(fleet));
      if (reason) reasons.push(reason);
    }
    return unique(reasons).join('; ');
  }

  /** Lowers a maintain fleet's target by the released machines' units (on-demand and spot parts too), never below 0. */
  async lowerTarget(fleet: FleetData, released: readonly Machine[]): Promise<number> {
    const units = released.reduce((sum, machine) => sum + machine.weight, 0);
    const spotUnits = released.filter((m) => m.priceType === 'spot').reduce((sum, machine) => sum + machine.weight, 0);
    return this.modifyTarget(fleet, units, units - spotUnits, spotUnits);
  }

  /** A `request` fleet is deleted without its instances; a `maintain` fleet's target is lowered to what it holds. */
  async stop(fleets: readonly FleetData[]): Promise<void> {
    const toDelete: string[] = [];
    for (const fleet of fleets) {
      if (!fleet.FleetId) continue;
      if (fleet.Type === 'request') toDelete.push(fleet.FleetId);
      if (fleet.Type === 'maintain') {
        const target = fleet.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
        const have = Math.floor(fleet.FulfilledCapacity ?? 0);
        if (have < target) await this.modifyTarget(fleet, target - have, 0, 0);
      }
    }
    await this.remove(toDelete, false);
  }

  /** DeleteFleets in batches; fleets already gone are fine. */
  async remove(fleetIds: readonly string[], withInstances: boolean): Promise<void> {
    const size = withInstances ? DELETE_INSTANT_FLEETS_BATCH : DELETE_FLEETS_BATCH;
    for (const batch of chunk(unique(fleetIds), size)) {
      let response;
      try {
        response = await this.client.send(new DeleteFleetsCommand({ FleetIds: batch, TerminateInstances: withInstances }));
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
          {
            transient: true,
            details: { action: 'DeleteFleets' },
          },
        );
      }
    }
  }

  /** Instance ids a request/maintain fleet currently holds (DescribeFleetInstances, all pages). */
  private async activeInstances(fleetId: string): Promise<string[]> {
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

  /** The fleet's launch errors from DescribeFleetHistory; empty when EC2 cannot say (best effort, never fails the poll). */
  private async historyReason(fleet: FleetData): Promise<string> {
    try {
      const response = await this.client.send(
        new DescribeFleetHistoryCommand({
          FleetId: fleet.FleetId,
          EventType: 'service-error',
          StartTime: fleet.CreateTime instanceof Date ? fleet.CreateTime : new Date(this.now() - 24 * 3600_000),
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

  /** Lowers the fleet's target (and its on-demand and spot parts) by the given units, never below 0; returns the new total. */
  private async modifyTarget(fleet: FleetData, units: number, onDemandUnits: number, spotUnits: number): Promise<number> {
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
        new ModifyFleetCommand({ FleetId: fleet.FleetId, TargetCapacitySpecification: spec, ExcessCapacityTerminationPolicy: 'no-termination' }),
      );
    } catch (error) {
      throw mapEc2Error(error, 'ModifyFleet');
    }
    fleet.TargetCapacitySpecification = { ...current, ...spec };
    return total;
  }
}

/** The fleet ids recorded on a request (`providerData.fleetIds`, comma-separated). */
export function fleetIdsOf(request: Request | undefined): string[] {
  return (request?.providerData[FLEET_IDS_KEY] ?? '').split(',').filter((id) => id !== '');
}

/** The pool an error of a fleet names (its override's type and subnet, and its lifecycle); undefined when it names no type. */
function poolOfError(error: CreateFleetError | DescribeFleetError): CapacityPool | undefined {
  const override = error.LaunchTemplateAndOverrides?.Overrides;
  if (!override?.InstanceType) return undefined;
  return { instanceType: override.InstanceType, location: override.SubnetId ?? '', priceType: error.Lifecycle === 'spot' ? 'spot' : 'ondemand' };
}

/**
 * A fleet's launch errors as one line (`m5.large on-demand in subnet-a: Code: message; ...`): each
 * with the pool it is about when it names one, so that the message says which pools were tried.
 */
export function fleetErrorsReason(errors: readonly (CreateFleetError | DescribeFleetError)[]): string {
  return unique(
    errors.map((error) => {
      const what = [error.ErrorCode, error.ErrorMessage].filter(Boolean).join(': ');
      const pool = poolOfError(error);
      return pool ? `${describePool(pool)}: ${what}` : what;
    }),
  ).join('; ');
}

/**
 * The pools a fleet's errors refuse for capacity (see {@link isPoolRefusal}), by the override and
 * lifecycle each names: an instant fleet's CreateFleet errors, a request/maintain fleet's
 * DescribeFleets errors.
 */
export function refusedPools(errors: readonly (CreateFleetError | DescribeFleetError)[]): PoolRefusal[] {
  return errors.flatMap((error) => {
    const pool = poolOfError(error);
    if (!pool || !isPoolRefusal(error.ErrorCode)) return [];
    return [{ pool, reason: `${error.ErrorCode}: ${error.ErrorMessage ?? ''}`.slice(0, 200) }];
  });
}
