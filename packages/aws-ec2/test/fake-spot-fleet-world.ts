import { FakeAwsClient } from '@open-hostfactory/aws-common/testing';

/** One fake EC2 instance of {@link FakeSpotFleetWorld}. */
export interface FakeInstance {
  id: string;
  type: string;
  state: string;
  lifecycle?: string;
  tags: { Key: string; Value: string }[];
}

/** One fake spot fleet request of {@link FakeSpotFleetWorld}. */
export interface FakeSpotFleet {
  id: string;
  state: string;
  activity?: string;
  type?: string;
  target: number;
  onDemandTarget?: number;
  fulfilled: number;
  validUntil?: Date;
  createTime?: Date;
  members: string[];
}

/** One RequestSpotFleet config, as far as {@link FakeSpotFleetWorld} reads it. */
interface FakeFleetConfig {
  TargetCapacity: number;
  OnDemandTargetCapacity?: number;
  Type?: string;
  ValidUntil?: Date;
  LaunchTemplateConfigs?: { Overrides?: { InstanceType?: string; WeightedCapacity?: number }[] }[];
}

/**
 * A FakeAwsClient backed by a tiny model of spot fleets and instances: RequestSpotFleet (launches
 * the on-demand part at once and the spot part up to `spotCapacity` instances, from the first
 * override's type), DescribeSpotFleetRequests
 * (unknown ids fail the call as EC2 does), DescribeSpotFleetInstances (paged by `pageSize`, live
 * members only), DescribeInstances by request tag / instance id, CreateTags, TerminateInstances,
 * ModifySpotFleetRequest and CancelSpotFleetRequests.
 */
export class FakeSpotFleetWorld {
  readonly client = new FakeAwsClient();
  readonly fleets = new Map<string, FakeSpotFleet>();
  readonly instances = new Map<string, FakeInstance>();
  pageSize = 1000;
  /** Spot instances RequestSpotFleet can still launch, across all fleets (unbounded by default). */
  spotCapacity = Number.POSITIVE_INFINITY;
  private serial = 0;

  constructor() {
    this.client
      .on('RequestSpotFleetCommand', (input: { SpotFleetRequestConfig: FakeFleetConfig }) => this.requestFleet(input.SpotFleetRequestConfig))
      .on('DescribeSpotFleetRequestHistoryCommand', (input: { SpotFleetRequestId: string }) => {
        const fleet = this.fleets.get(input.SpotFleetRequestId);
        const short = fleet !== undefined && fleet.fulfilled < fleet.target;
        return {
          HistoryRecords: short
            ? [
                {
                  EventType: 'error',
                  EventInformation: { EventSubType: 'allLaunchSpecsTemporarilyBlacklisted', EventDescription: 'no spot capacity' },
                },
              ]
            : [],
        };
      })
      .on('DescribeSpotFleetRequestsCommand', (input: { SpotFleetRequestIds: string[] }) => {
        const unknown = input.SpotFleetRequestIds.filter((id) => !this.fleets.has(id));
        if (unknown.length > 0) {
          throw Object.assign(new Error(`The spot fleet request ID '${unknown[0]}' does not exist`), {
            name: 'InvalidSpotFleetRequestId.NotFound',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return {
          SpotFleetRequestConfigs: input.SpotFleetRequestIds.map((id) => this.toConfig(this.fleets.get(id) as FakeSpotFleet)),
        };
      })
      .on('DescribeSpotFleetInstancesCommand', (input: { SpotFleetRequestId: string; NextToken?: string }) => {
        const fleet = this.fleets.get(input.SpotFleetRequestId);
        if (!fleet) return { ActiveInstances: [] };
        const live = fleet.members.filter((id) => !['terminated', 'shutting-down'].includes(this.instances.get(id)?.state ?? ''));
        const start = Number(input.NextToken ?? '0');
        const page = live.slice(start, start + this.pageSize);
        const next = start + this.pageSize < live.length ? String(start + this.pageSize) : undefined;
        return {
          ActiveInstances: page.map((id) => ({ InstanceId: id, InstanceType: this.instances.get(id)?.type })),
          ...(next ? { NextToken: next } : {}),
        };
      })
      .on('DescribeInstancesCommand', (input: { Filters: { Name: string; Values: string[] }[] }) => {
        const filter = input.Filters[0] as { Name: string; Values: string[] };
        const matches = [...this.instances.values()].filter((instance) =>
          filter.Name === 'instance-id'
            ? filter.Values.includes(instance.id)
            : filter.Values.includes(instance.tags.find((tag) => `tag:${tag.Key}` === filter.Name)?.Value ?? ''),
        );
        return {
          Reservations: [
            {
              Instances: matches.map((instance) => ({
                InstanceId: instance.id,
                InstanceType: instance.type,
                State: { Name: instance.state },
                LaunchTime: new Date('2026-01-01T00:00:00Z'),
                PrivateIpAddress: '10.0.0.1',
                ...(instance.lifecycle ? { InstanceLifecycle: instance.lifecycle } : {}),
                Tags: [...instance.tags],
              })),
            },
          ],
        };
      })
      .on('CreateTagsCommand', (input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
        for (const id of input.Resources) {
          const instance = this.instances.get(id);
          if (!instance) continue;
          for (const tag of input.Tags) {
            instance.tags = [...instance.tags.filter((t) => t.Key !== tag.Key), tag];
          }
        }
        return {};
      })
      .on('TerminateInstancesCommand', (input: { InstanceIds: string[] }) => {
        for (const id of input.InstanceIds) {
          const instance = this.instances.get(id);
          if (instance) instance.state = 'terminated';
        }
        return {};
      })
      .on('ModifySpotFleetRequestCommand', (input: { SpotFleetRequestId: string; TargetCapacity: number; OnDemandTargetCapacity?: number }) => {
        const fleet = this.fleets.get(input.SpotFleetRequestId) as FakeSpotFleet;
        fleet.target = input.TargetCapacity;
        if (input.OnDemandTargetCapacity !== undefined) fleet.onDemandTarget = input.OnDemandTargetCapacity;
        return { Return: true };
      })
      .on('CancelSpotFleetRequestsCommand', (input: { SpotFleetRequestIds: string[]; TerminateInstances?: boolean }) => {
        const unsuccessful: unknown[] = [];
        const successful: unknown[] = [];
        for (const id of input.SpotFleetRequestIds) {
          const fleet = this.fleets.get(id);
          if (!fleet) {
            unsuccessful.push({ SpotFleetRequestId: id, Error: { Code: 'fleetRequestIdDoesNotExist', Message: 'gone' } });
            continue;
          }
          fleet.state = input.TerminateInstances ? 'cancelled_terminating' : 'cancelled_running';
          if (input.TerminateInstances) {
            for (const member of fleet.members) {
              const instance = this.instances.get(member);
              if (instance) instance.state = 'terminated';
            }
          }
          successful.push({ SpotFleetRequestId: id, CurrentSpotFleetRequestState: fleet.state });
        }
        return { SuccessfulFleetRequests: successful, UnsuccessfulFleetRequests: unsuccessful };
      });
  }

  private requestFleet(config: FakeFleetConfig): { SpotFleetRequestId: string } {
    const id = `sfr-${++this.serial}`;
    const type = config.LaunchTemplateConfigs?.[0]?.Overrides?.[0]?.InstanceType ?? 'm5.large';
    const onDemand = config.OnDemandTargetCapacity ?? 0;
    const spot = Math.min(config.TargetCapacity - onDemand, this.spotCapacity);
    this.spotCapacity -= spot;
    const members: string[] = [];
    for (let n = 0; n < onDemand + spot; n++) {
      const instance = this.addInstance({ id: `i-${id}-${n}`, type, ...(n >= onDemand ? { lifecycle: 'spot' } : {}) });
      members.push(instance.id);
    }
    this.addFleet({
      id,
      type: config.Type ?? 'request',
      target: config.TargetCapacity,
      onDemandTarget: onDemand,
      fulfilled: members.length,
      ...(config.ValidUntil ? { validUntil: config.ValidUntil } : {}),
      members,
    });
    return { SpotFleetRequestId: id };
  }

  addFleet(fleet: Partial<FakeSpotFleet> & { id: string }): FakeSpotFleet {
    const full: FakeSpotFleet = { state: 'active', target: 1, fulfilled: 1, members: [], ...fleet };
    this.fleets.set(full.id, full);
    return full;
  }

  addInstance(instance: Partial<FakeInstance> & { id: string }): FakeInstance {
    const full: FakeInstance = { type: 'm5.large', state: 'running', tags: [], ...instance };
    this.instances.set(full.id, full);
    return full;
  }

  private toConfig(fleet: FakeSpotFleet): unknown {
    return {
      SpotFleetRequestId: fleet.id,
      SpotFleetRequestState: fleet.state,
      ...(fleet.activity ? { ActivityStatus: fleet.activity } : {}),
      ...(fleet.createTime ? { CreateTime: fleet.createTime } : {}),
      SpotFleetRequestConfig: {
        IamFleetRole: 'arn:aws:iam::1:role/fleet',
        TargetCapacity: fleet.target,
        FulfilledCapacity: fleet.fulfilled,
        ...(fleet.type ? { Type: fleet.type } : {}),
        ...(fleet.onDemandTarget !== undefined ? { OnDemandTargetCapacity: fleet.onDemandTarget } : {}),
        ...(fleet.validUntil ? { ValidUntil: fleet.validUntil } : {}),
      },
    };
  }
}
