import {
  CancelSpotFleetRequestsCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestHistoryCommand,
  DescribeSpotFleetRequestsCommand,
  ModifySpotFleetRequestCommand,
  type SpotFleetRequestConfig,
  type SpotFleetRequestConfigData,
} from '@aws-sdk/client-ec2';
import { HostFactoryError, type Machine, type ProviderApi, type Request } from '@open-hostfactory/core';
import { allItems, chunk, idsIn, unique, withoutUnknownIds } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, mapEc2Error } from './errors';
import { fleetTags } from './fleet-common';
import type { FleetApi, FleetState } from './fleet-mechanism';

/** `providerData` keys the Spot Fleet provider keeps on a request. */
export const SPOT_FLEET_REQUEST_ID_KEY = 'spotFleetRequestId';
export const SPOT_FLEET_REQUEST_IDS_KEY = 'spotFleetRequestIds';
export const SPOT_FLEET_TYPE_KEY = 'spotFleetType';
export const SPOT_FLEET_INSTANCE_TAGS_KEY = 'instanceTags';
/** Spot fleet request ids per DescribeSpotFleetRequests / CancelSpotFleetRequests call. */
export const SPOT_FLEET_BATCH = 100;
/** Most error events used to explain a fleet's shortfall. */
const HISTORY_REASONS = 3;

/** Spot fleet request states in which the fleet may still launch instances. */
const LIVE_STATES = new Set(['submitted', 'active', 'modifying']);
const UNKNOWN_FLEET = /^InvalidSpotFleetRequestId\.(NotFound|Malformed)$/;
const CANCEL_IGNORED = new Set(['fleetRequestIdDoesNotExist', 'fleetRequestIdMalformed', 'fleetRequestNotInCancellableState']);

/** The Spot Fleet calls under the shared fleet mechanism (DescribeSpotFleetRequests/Instances, ModifySpotFleetRequest, CancelSpotFleetRequests). */
export class SpotFleetApi implements FleetApi<SpotFleetRequestConfig> {
  readonly api: ProviderApi = 'SpotFleet';
  readonly kind = 'Spot Fleet request';
  readonly instanceTagsKey = SPOT_FLEET_INSTANCE_TAGS_KEY;

  constructor(
    private readonly client: Ec2Client,
    private readonly providerName: string,
  ) {}

  fleetIdsOf(request: Request | undefined): string[] {
    return spotFleetIdsOf(request);
  }

  /** Every Spot Fleet request fills over time. */
  fillsOverTime(): boolean {
    return true;
  }

  /** Spot fleet requests by id, batched and paginated; ids EC2 does not know are left out. */
  async describeFleets(fleetIds: readonly string[]): Promise<Map<string, SpotFleetRequestConfig>> {
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

  /** Live Spot Fleet requests tagged with the provider name (DescribeSpotFleetRequests without ids lists them all). */
  async ownFleets(): Promise<SpotFleetRequestConfig[]> {
    const listed = await allItems(
      (NextToken) =>
        this.client.send(new DescribeSpotFleetRequestsCommand({ NextToken })).catch((error: unknown) => {
          throw mapEc2Error(error, 'DescribeSpotFleetRequests');
        }),
      (page) => page.SpotFleetRequestConfigs,
    );
    return listed.filter((fleet) => fleet.SpotFleetRequestId && isLive(fleet) && fleetTags(fleet.Tags).providerName === this.providerName);
  }

  /** The type from the fleet's config, else from the request that made it (not every EC2 look-alike echoes it). */
  state(fleet: SpotFleetRequestConfig, now: number, request?: Request): FleetState {
    const type = fleet.SpotFleetRequestConfig?.Type ?? request?.providerData[SPOT_FLEET_TYPE_KEY];
    return {
      id: fleet.SpotFleetRequestId as string,
      type: type === 'request' || type === 'maintain' ? type : undefined,
      live: isLive(fleet),
      fulfilling: isFulfilling(fleet, now),
      target: fleet.SpotFleetRequestConfig?.TargetCapacity ?? 0,
      tags: fleet.Tags,
    };
  }

  /** Instance ids a spot fleet request currently holds (DescribeSpotFleetInstances, all pages). */
  async members(fleet: SpotFleetRequestConfig): Promise<string[]> {
    try {
      const instances = await allItems(
        (NextToken) => this.client.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleet.SpotFleetRequestId, NextToken })),
        (page) => page.ActiveInstances,
      );
      return unique(instances.flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : [])));
    } catch (error) {
      if (UNKNOWN_FLEET.test(awsErrorCode(error))) return [];
      throw mapEc2Error(error, 'DescribeSpotFleetInstances');
    }
  }

  /**
   * When the request's latest fleet settled short: its error events (DescribeSpotFleetRequestHistory,
   * best effort), else its state and activity. Nothing while a fleet still fills.
   */
  async reason(request: Request, fleets: readonly SpotFleetRequestConfig[], fulfilling: boolean): Promise<string> {
    if (fulfilling) return '';
    const ids = spotFleetIdsOf(request);
    const latest = fleets.find((fleet) => fleet.SpotFleetRequestId === ids[ids.length - 1]);
    if (!latest) return '';
    const config = latest.SpotFleetRequestConfig ?? ({} as Partial<SpotFleetRequestConfigData>);
    const target = config.TargetCapacity ?? 0;
    const fulfilled = config.FulfilledCapacity ?? 0;
    if (fulfilled >= target && latest.ActivityStatus !== 'error') return '';
    const history = await this.historyReason(latest, request);
    return (
      history ||
      `Spot Fleet ${latest.SpotFleetRequestId} is ${latest.SpotFleetRequestState ?? 'unknown'}` +
        (latest.ActivityStatus ? ` (${latest.ActivityStatus})` : '') +
        `: ${fulfilled} of ${target} units fulfilled`
    );
  }

  /** Lowers a maintain fleet's target by the released machines' units (never below 0), keeping OnDemandTargetCapacity within it. */
  async lowerTarget(fleet: SpotFleetRequestConfig, released: readonly Machine[]): Promise<number> {
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

  /** Every live fleet of the request is cancelled with `TerminateInstances: false` (its instances stay HF's). */
  async stop(fleets: readonly SpotFleetRequestConfig[]): Promise<void> {
    await this.remove(
      fleets.map((fleet) => fleet.SpotFleetRequestId as string),
      false,
    );
  }

  /** CancelSpotFleetRequests (instances kept unless `withInstances`), batched; fleets gone or already cancelled are fine. */
  async remove(fleetIds: readonly string[], withInstances: boolean): Promise<void> {
    for (const batch of chunk(unique(fleetIds), SPOT_FLEET_BATCH)) {
      let response;
      try {
        response = await this.client.send(new CancelSpotFleetRequestsCommand({ SpotFleetRequestIds: batch, TerminateInstances: withInstances }));
      } catch (error) {
        throw mapEc2Error(error, 'CancelSpotFleetRequests');
      }
      const failed = (response.UnsuccessfulFleetRequests ?? []).filter((item) => !CANCEL_IGNORED.has(item.Error?.Code ?? ''));
      if (failed.length > 0) {
        throw new HostFactoryError(
          'PROVIDER_ERROR',
          `EC2 CancelSpotFleetRequests failed: ${failed.map((item) => `${item.SpotFleetRequestId}: ${item.Error?.Code}: ${item.Error?.Message}`).join('; ')}`,
          { transient: true, details: { action: 'CancelSpotFleetRequests' } },
        );
      }
    }
  }

  private async describeFleetPages(fleetIds: readonly string[]): Promise<SpotFleetRequestConfig[]> {
    const listed = await allItems(
      (NextToken) => this.client.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [...fleetIds], NextToken })),
      (page) => page.SpotFleetRequestConfigs,
    );
    // Only the asked fleets (an empty id list would list every fleet of the account).
    return listed.filter((fleet) => fleet.SpotFleetRequestId && fleetIds.includes(fleet.SpotFleetRequestId));
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
}

/** The spot fleet request ids recorded on a request (`providerData.spotFleetRequestIds`, else `spotFleetRequestId`). */
export function spotFleetIdsOf(request: Request | undefined): string[] {
  const data = request?.providerData ?? {};
  const ids = (data[SPOT_FLEET_REQUEST_IDS_KEY] ?? '').split(',');
  return unique([...ids, data[SPOT_FLEET_REQUEST_ID_KEY] ?? '']);
}

/** True while the fleet request may launch instances (submitted, active, modifying). */
export function isLive(fleet: SpotFleetRequestConfig | undefined): boolean {
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
