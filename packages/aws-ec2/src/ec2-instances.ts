import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  TerminateInstancesCommand,
  type Filter,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  MACHINE_STATES,
  PROVIDER_API_PATTERN,
  TAG_LAUNCH_ATTEMPT,
  TAG_PROVIDER_API,
  TAG_PROVIDER_NAME,
  TAG_REQUEST_ID,
  TAG_TEMPLATE_ID,
  type Clock,
  type Machine,
  type MachineObservation,
  type MachineState,
  type ProviderApi,
} from '@open-hostfactory/core';
import { allItems, chunk, idsIn, unique, withoutUnknownIds } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { strongerNotice, type EventNoticeSource } from './ec2-event-notices';
import { awsErrorCode, mapEc2Error } from './errors';
import { tagValue } from './tags';

/** Most values EC2 accepts in one filter. */
export const FILTER_VALUES_LIMIT = 200;
/** Instance ids per TerminateInstances call. */
export const TERMINATE_BATCH = 1000;
/** Instance ids per DescribeInstances by `InstanceIds` (the page size of a filtered describe). */
export const DESCRIBE_IDS_BATCH = 1000;
/** Page size of DescribeInstances (filters allow MaxResults 5..1000). */
const DESCRIBE_PAGE_SIZE = 1000;
/** What EC2 gives a spot instance between its interruption notice and the interruption. */
export const SPOT_INTERRUPTION_NOTICE_SEC = 120;
/**
 * Spot request status codes that mean EC2 takes (or took) the instance back: IBM's provider's
 * list (AwsConst.markedForTerminationStates), which this one matches.
 */
export const SPOT_RECLAIM_STATUSES: ReadonlySet<string> = new Set([
  'marked-for-termination',
  'instance-terminated-no-capacity',
  'instance-terminated-by-price',
  'instance-terminated-by-schedule',
  'instance-terminated-by-service',
  'instance-terminated-by-experiment',
]);
/** States of an instance that still holds capacity (what an inventory lists). */
const ALIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
/** How long one inventory listing serves the EC2 shapes that ask for it in one call. */
const INVENTORY_REUSE_MS = 2000;

export interface InstancesView {
  readonly observations: MachineObservation[];
  /** Asked machine ids EC2 does not know. */
  readonly missing: string[];
}

/**
 * The EC2 instance operations every EC2 capacity shape shares: a batched, paginated describe
 * (by request tag and by instance id, with filters so unknown ids never fail the call), an
 * idempotent terminate, tagging, and the mapping of an EC2 instance to core's observation.
 */
export class Ec2Instances {
  private inventory?: { readonly providerName: string; readonly at: number; readonly instances: Promise<MachineObservation[]> };

  constructor(
    private readonly client: Ec2Client,
    private readonly clock: Clock,
    /** EC2 events (rebalance recommendations, spot interruption warnings) from an SQS queue. */
    private readonly notices?: EventNoticeSource,
    /**
     * AWS_SPOT_TERMINATE_ON_RECLAIM: when HF gives back a spot instance EC2 is reclaiming, terminate
     * it anyway (true) or leave it to EC2, which ends it within its two-minute notice (false, IBM's default).
     */
    private readonly terminateOnReclaim = false,
  ) {}

  /**
   * Gives machines back: terminates them, except, unless `terminateOnReclaim`, spot instances EC2
   * is reclaiming (a spot interruption notice), which EC2 ends itself. Idempotent.
   */
  async giveBack(machines: readonly Machine[]): Promise<void> {
    const reclaimed = (machine: Machine): boolean => !this.terminateOnReclaim && machine.notice?.kind === 'spot-interruption';
    await this.terminate(machines.filter((machine) => !reclaimed(machine)).map((machine) => machine.machineId));
  }

  /**
   * Instances tagged with any of `requestIds` plus the instances `machineIds`, all pages
   * followed, each once; `missing` lists asked machine ids EC2 does not know. Read-only on
   * EC2. With an event queue configured, the notices it holds for the observed instances are
   * merged in and their messages deleted (see {@link mergeEventNotices}).
   */
  async describe(requestIds: readonly string[], machineIds: readonly string[]): Promise<InstancesView> {
    const ids = unique(machineIds);
    const found = new Map<string, MachineObservation>();
    const spotRequests = new Map<string, string>();
    const take = (instances: readonly Instance[]): void => {
      for (const instance of instances) {
        const observation = this.toObservation(instance);
        if (!observation) continue;
        found.set(observation.machineId, observation);
        if (instance.SpotInstanceRequestId && !isEnded(observation.state)) {
          spotRequests.set(instance.SpotInstanceRequestId, observation.machineId);
        }
      }
    };
    // Each instance is described once: the request tags first (one query for up to 200 requests,
    // pages of 1,000), then by id only the machines those did not return.
    for (const values of chunk(unique(requestIds), FILTER_VALUES_LIMIT)) {
      take(await this.describeInstances([{ Name: `tag:${TAG_REQUEST_ID}`, Values: values }]));
    }
    take(await this.describeIds(ids.filter((id) => !found.has(id))));
    for (const [machineId, deadline] of await this.interruptionNotices(spotRequests)) {
      const observation = found.get(machineId) as MachineObservation;
      found.set(machineId, { ...observation, notice: { kind: 'spot-interruption', deadline } });
    }
    if (this.notices) await this.mergeEventNotices(this.notices, found);
    return { observations: [...found.values()], missing: ids.filter((id) => !found.has(id)) };
  }

  /**
   * Merges the queue's notices into the observed instances: an interruption (from the spot
   * request status or an event) wins over a rebalance recommendation; of two interruptions,
   * the earlier deadline. Then deletes the messages of the observed instances (and the ones
   * that carry nothing); messages about instances not observed here stay in the queue.
   *
   * Deleting before core has stored the observation is safe because core keeps a notice once
   * given (`observeMachine`: `notice: observation.notice ?? machine.notice`) and stores the
   * observations of the held machines it describes (getReturnRequests writes the changed
   * machines, so the notice is also reported to HF in that very answer). A failed delete is
   * ignored: the message comes back and merges again, which changes nothing.
   */
  private async mergeEventNotices(source: EventNoticeSource, found: Map<string, MachineObservation>): Promise<void> {
    const received = await source.receive();
    for (const [machineId, notice] of received.notices) {
      const observation = found.get(machineId);
      if (!observation) continue;
      found.set(machineId, { ...observation, notice: observation.notice ? strongerNotice(observation.notice, notice) : notice });
    }
    await received.ack([...found.keys()]).catch(() => undefined);
  }

  /**
   * Spot instances EC2 is taking back (their spot request's status is one of
   * {@link SPOT_RECLAIM_STATUSES}), with the time EC2 takes them: the notice time plus two minutes.
   * Spot requests are looked up by filter, so one that is gone never fails the call.
   */
  private async interruptionNotices(spotRequests: ReadonlyMap<string, string>): Promise<Map<string, number>> {
    const notices = new Map<string, number>();
    for (const values of chunk([...spotRequests.keys()], FILTER_VALUES_LIMIT)) {
      const requests = await allItems(
        (NextToken) =>
          this.client
            .send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'spot-instance-request-id', Values: values }], NextToken }))
            .catch((error: unknown) => {
              throw mapEc2Error(error, 'DescribeSpotInstanceRequests');
            }),
        (page) => page.SpotInstanceRequests,
      );
      for (const request of requests) {
        const machineId = request.SpotInstanceRequestId ? spotRequests.get(request.SpotInstanceRequestId) : undefined;
        if (!machineId || !SPOT_RECLAIM_STATUSES.has(request.Status?.Code ?? '')) continue;
        const updated = request.Status?.UpdateTime;
        const noticed = updated instanceof Date ? updated.getTime() : this.clock.now();
        notices.set(machineId, Math.floor(noticed / 1000) + SPOT_INTERRUPTION_NOTICE_SEC);
      }
    }
    return notices;
  }

  /**
   * Terminates instances, in batches. Idempotent: ids EC2 no longer knows (or never knew) are
   * dropped from the call and retried without them.
   */
  async terminate(machineIds: readonly string[]): Promise<void> {
    for (const batch of chunk(unique(machineIds), TERMINATE_BATCH)) {
      await this.terminateBatch(batch);
    }
  }

  /** Adds tags to instances (e.g. the request tags on instances a fleet launched). Idempotent. */
  async tag(machineIds: readonly string[], tags: readonly Tag[]): Promise<void> {
    for (const batch of chunk(unique(machineIds), TERMINATE_BATCH)) {
      try {
        await this.client.send(new CreateTagsCommand({ Resources: batch, Tags: [...tags] }));
      } catch (error) {
        throw mapEc2Error(error, 'CreateTags');
      }
    }
  }

  /**
   * Every instance tagged with `providerName` that still holds capacity (pending, running,
   * stopping, stopped), all pages. The EC2 shapes of one installation share this view: a listing
   * serves every shape that asks within two seconds. Read-only.
   */
  async tagged(providerName: string): Promise<MachineObservation[]> {
    const now = this.clock.now();
    const cached = this.inventory;
    if (cached && cached.providerName === providerName && now - cached.at < INVENTORY_REUSE_MS) return cached.instances;
    const instances = this.describeInstances([
      { Name: `tag:${TAG_PROVIDER_NAME}`, Values: [providerName] },
      { Name: 'instance-state-name', Values: ALIVE_STATES },
    ]).then((found) => found.map((instance) => this.toObservation(instance)).filter(isObservation));
    this.inventory = { providerName, at: now, instances };
    instances.catch(() => {
      if (this.inventory?.instances === instances) this.inventory = undefined;
    });
    return instances;
  }

  /** The instances among `machineIds` tagged with `providerName` (in any state). Read-only. */
  async lookup(providerName: string, machineIds: readonly string[]): Promise<MachineObservation[]> {
    const found: MachineObservation[] = [];
    for (const values of chunk(unique(machineIds), FILTER_VALUES_LIMIT)) {
      const page = await this.describeInstances([
        { Name: 'instance-id', Values: values },
        { Name: `tag:${TAG_PROVIDER_NAME}`, Values: [providerName] },
      ]);
      found.push(...page.map((instance) => this.toObservation(instance)).filter(isObservation));
    }
    return found;
  }

  /**
   * The instances one launch attempt made (tags `hf:request-id` and `hf:launch-attempt`), in any
   * state: what a replayed attempt finds before it launches again. Read-only.
   */
  async launchedBy(requestId: string, attempt: number): Promise<MachineObservation[]> {
    const found = await this.describeInstances([
      { Name: `tag:${TAG_REQUEST_ID}`, Values: [requestId] },
      { Name: `tag:${TAG_LAUNCH_ATTEMPT}`, Values: [String(attempt)] },
    ]);
    return found.map((instance) => this.toObservation(instance)).filter(isObservation);
  }

  /** Core's view of an EC2 instance; `requestId`/`templateId` fill in for missing tags. */
  toObservation(instance: Instance, requestId?: string, templateId?: string): MachineObservation | undefined {
    if (!instance.InstanceId) return undefined;
    const state = toMachineState(instance.State?.Name);
    const launchTime = instance.LaunchTime instanceof Date ? Math.floor(instance.LaunchTime.getTime() / 1000) : Math.floor(this.clock.now() / 1000);
    const taggedRequest = tagValue(instance.Tags, TAG_REQUEST_ID) ?? requestId;
    const taggedTemplate = tagValue(instance.Tags, TAG_TEMPLATE_ID) ?? templateId;
    const taggedApi = tagValue(instance.Tags, TAG_PROVIDER_API);
    const providerApi: ProviderApi | undefined = taggedApi !== undefined && PROVIDER_API_PATTERN.test(taggedApi) ? taggedApi : undefined;
    const privateIp = instance.PrivateIpAddress ?? '';
    const observation: MachineObservation = {
      machineId: instance.InstanceId,
      name: instance.PrivateDnsName || privateIp,
      privateIpAddress: privateIp,
      publicIpAddress: instance.PublicIpAddress ?? '',
      launchTime,
      state,
      instanceType: instance.InstanceType ?? '',
      priceType: instance.InstanceLifecycle === 'spot' ? 'spot' : 'ondemand',
      ...(taggedRequest ? { requestId: taggedRequest } : {}),
      ...(taggedTemplate ? { templateId: taggedTemplate } : {}),
      ...(providerApi ? { providerApi } : {}),
      ...(instance.StateReason?.Message ? { stateReason: instance.StateReason.Message } : {}),
      ...(instance.Placement?.HostId ? { cloudHostId: instance.Placement.HostId } : {}),
    };
    return observation;
  }

  private async terminateBatch(ids: readonly string[]): Promise<void> {
    // One unknown id fails the whole call: it is retried without the ids EC2 names.
    await withoutUnknownIds(
      ids,
      (batch) => this.client.send(new TerminateInstancesCommand({ InstanceIds: batch })),
      (error) => UNKNOWN_INSTANCE.test(awsErrorCode(error)),
      (error) => idsIn(error, /i-[0-9a-zA-Z]+/g),
      // The message named none of ours: look which still exist and terminate only those.
      async (rest) => {
        const existing = await this.existingIds(rest);
        if (existing.length > 0) await this.client.send(new TerminateInstancesCommand({ InstanceIds: existing }));
        return { results: [], unknown: rest.filter((id) => !existing.includes(id)) };
      },
    ).catch((error: unknown) => {
      throw mapEc2Error(error, 'TerminateInstances');
    });
  }

  private async existingIds(ids: readonly string[]): Promise<string[]> {
    const existing: string[] = [];
    for (const values of chunk(ids, FILTER_VALUES_LIMIT)) {
      for (const instance of await this.describeInstances([{ Name: 'instance-id', Values: values }])) {
        if (instance.InstanceId && instance.State?.Name !== 'terminated') existing.push(instance.InstanceId);
      }
    }
    return existing;
  }

  /**
   * Instances by id: up to 200 ids with an `instance-id` filter (one call; unknown ids are simply
   * not returned); more with `InstanceIds`, 1,000 a call, where an id EC2 no longer knows fails
   * the call, which is repeated without the ids EC2 names.
   */
  private async describeIds(ids: readonly string[]): Promise<Instance[]> {
    if (ids.length === 0) return [];
    if (ids.length <= FILTER_VALUES_LIMIT) return this.describeInstances([{ Name: 'instance-id', Values: [...ids] }]);
    const instances: Instance[] = [];
    for (const batch of chunk(ids, DESCRIBE_IDS_BATCH)) {
      const { results } = await withoutUnknownIds(
        batch,
        (part) => this.describeInstancesById(part),
        (error) => UNKNOWN_INSTANCE.test(awsErrorCode(error)),
        (error) => idsIn(error, /i-[0-9a-zA-Z]+/g),
      ).catch((error: unknown) => {
        throw mapEc2Error(error, 'DescribeInstances');
      });
      instances.push(...results.flat());
    }
    return instances;
  }

  /** One DescribeInstances by `InstanceIds` (which takes no MaxResults: one answer holds them all); SDK errors are thrown raw. */
  private async describeInstancesById(ids: readonly string[]): Promise<Instance[]> {
    const reservations = await allItems(
      (NextToken) => this.client.send(new DescribeInstancesCommand({ InstanceIds: [...ids], NextToken })),
      (page) => page.Reservations,
    );
    return reservations.flatMap((reservation): Instance[] => reservation.Instances ?? []);
  }

  private async describeInstances(filters: Filter[]): Promise<Instance[]> {
    const reservations = await allItems(
      (NextToken) =>
        this.client.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: DESCRIBE_PAGE_SIZE, NextToken })).catch((error: unknown) => {
          throw mapEc2Error(error, 'DescribeInstances');
        }),
      (page) => page.Reservations,
    );
    return reservations.flatMap((reservation): Instance[] => reservation.Instances ?? []);
  }
}

function isObservation(observation: MachineObservation | undefined): observation is MachineObservation {
  return observation !== undefined;
}

/** Instance ids named in an EC2 error message (`The instance IDs 'i-1, i-2' do not exist`). */
const UNKNOWN_INSTANCE = /^InvalidInstanceID\.(NotFound|Malformed)$/;

function isEnded(state: MachineState): boolean {
  return state === 'shutting-down' || state === 'terminated' || state === 'stopping' || state === 'stopped';
}

function toMachineState(name: string | undefined): MachineState {
  return (MACHINE_STATES as readonly string[]).includes(name ?? '') ? (name as MachineState) : 'pending';
}
