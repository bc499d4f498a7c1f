import type { Machine, MachineObservation } from '@open-hostfactory/core';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import type { InstanceAccess, LaunchTemplateSource } from '../src/asg-provider';

/** A launch template source that hands out one fixed template and counts its calls. */
export class FixedLaunchTemplates implements LaunchTemplateSource {
  readonly ensured: string[] = [];
  constructor(private readonly ref = { launchTemplateId: 'lt-0123456789abcdef0', version: '3' }) {}
  async ensure(template: { templateId: string }): Promise<{ launchTemplateId: string; version: string }> {
    this.ensured.push(template.templateId);
    return { ...this.ref };
  }
  async preflight(): Promise<{ ref: { launchTemplateId: string; version: string }; checked: string[]; problems: [] }> {
    return { ref: { ...this.ref }, checked: [`launch template ${this.ref.launchTemplateId}`], problems: [] };
  }
}

/** An instance reader answering from a fixed list; records what it was asked. */
export class StaticInstances implements InstanceAccess {
  readonly asked: { requestIds: string[]; machineIds: string[] }[] = [];
  constructor(public observations: MachineObservation[] = []) {}
  async describe(requestIds: readonly string[], machineIds: readonly string[]): Promise<{ observations: MachineObservation[]; missing: string[] }> {
    this.asked.push({ requestIds: [...requestIds], machineIds: [...machineIds] });
    const found = this.observations.filter(
      (o) => (o.requestId !== undefined && requestIds.includes(o.requestId)) || machineIds.includes(o.machineId),
    );
    const known = new Set(this.observations.map((o) => o.machineId));
    return { observations: found, missing: machineIds.filter((id) => !known.has(id)) };
  }
  async tagged(): Promise<MachineObservation[]> {
    return this.observations.filter((o) => o.state !== 'terminated' && o.state !== 'shutting-down');
  }
  async lookup(_providerName: string, machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.observations.filter((o) => machineIds.includes(o.machineId));
  }
  readonly givenBack: string[] = [];
  async giveBack(machines: readonly Machine[]): Promise<void> {
    this.givenBack.push(...machines.map((machine) => machine.machineId));
  }
}

export interface FakeInstance {
  readonly InstanceId: string;
  LifecycleState: string;
  readonly InstanceType?: string;
  readonly WeightedCapacity?: string;
}

export interface FakeGroup {
  AutoScalingGroupName: string;
  DesiredCapacity: number;
  MinSize: number;
  MaxSize: number;
  Instances: FakeInstance[];
  Tags: { Key: string; Value: string; PropagateAtLaunch?: boolean }[];
  SuspendedProcesses: { ProcessName: string }[];
  Status?: string;
}

/**
 * A fake Auto Scaling service with state: groups answer DescribeAutoScalingGroups, and
 * Create/Update/Terminate/Delete/Tags/Suspend change them the way Auto Scaling would (without
 * launching anything: tests put instances in groups themselves). Handlers set with `on` win.
 */
export class FakeAutoScaling extends FakeAwsClient {
  readonly groups = new Map<string, FakeGroup>();

  constructor() {
    super();
    this.on('DescribeAutoScalingGroupsCommand', (input) => ({
      AutoScalingGroups: (input.AutoScalingGroupNames as string[]).flatMap((name) => {
        const group = this.groups.get(name);
        return group ? [structuredClone(group)] : [];
      }),
    }))
      .on('CreateAutoScalingGroupCommand', (input) => {
        if (this.groups.has(input.AutoScalingGroupName)) throw awsError('AlreadyExists', `AutoScalingGroup by this name already exists`);
        this.groups.set(input.AutoScalingGroupName, {
          AutoScalingGroupName: input.AutoScalingGroupName,
          DesiredCapacity: input.DesiredCapacity,
          MinSize: input.MinSize,
          MaxSize: input.MaxSize,
          Instances: [],
          Tags: (input.Tags ?? []).map((tag: any) => ({ Key: tag.Key, Value: tag.Value, PropagateAtLaunch: tag.PropagateAtLaunch })),
          SuspendedProcesses: [],
        });
        return {};
      })
      .on('SuspendProcessesCommand', (input) => {
        const group = this.must(input.AutoScalingGroupName);
        for (const name of input.ScalingProcesses as string[]) {
          if (!group.SuspendedProcesses.some((p) => p.ProcessName === name)) group.SuspendedProcesses.push({ ProcessName: name });
        }
        return {};
      })
      .on('CreateOrUpdateTagsCommand', (input) => {
        for (const tag of input.Tags as { ResourceId: string; Key: string; Value: string; PropagateAtLaunch: boolean }[]) {
          const group = this.must(tag.ResourceId);
          group.Tags = [...group.Tags.filter((t) => t.Key !== tag.Key), { Key: tag.Key, Value: tag.Value, PropagateAtLaunch: tag.PropagateAtLaunch }];
        }
        return {};
      })
      .on('UpdateAutoScalingGroupCommand', (input) => {
        const group = this.must(input.AutoScalingGroupName);
        if (input.DesiredCapacity !== undefined) group.DesiredCapacity = input.DesiredCapacity;
        if (input.MaxSize !== undefined) group.MaxSize = input.MaxSize;
        return {};
      })
      .on('TerminateInstanceInAutoScalingGroupCommand', (input) => {
        for (const group of this.groups.values()) {
          const instance = group.Instances.find((i) => i.InstanceId === input.InstanceId);
          if (!instance) continue;
          instance.LifecycleState = 'Terminating';
          if (input.ShouldDecrementDesiredCapacity) group.DesiredCapacity -= Number(instance.WeightedCapacity ?? '1');
          return { Activity: { StatusCode: 'InProgress' } };
        }
        throw awsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId}`);
      })
      .on('DetachInstancesCommand', (input) => {
        const group = this.must(input.AutoScalingGroupName);
        for (const id of input.InstanceIds) {
          const instance = group.Instances.find((i) => i.InstanceId === id);
          if (!instance) throw awsError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${input.AutoScalingGroupName}`);
          group.Instances = group.Instances.filter((i) => i !== instance);
          if (input.ShouldDecrementDesiredCapacity) group.DesiredCapacity -= Number(instance.WeightedCapacity ?? '1');
        }
        return { Activities: [] };
      })
      .on('DeleteAutoScalingGroupCommand', (input) => {
        const group = this.must(input.AutoScalingGroupName);
        if (group.Instances.length > 0 && !input.ForceDelete)
          throw awsError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances');
        this.groups.delete(input.AutoScalingGroupName);
        return {};
      })
      .on('DescribeScalingActivitiesCommand', () => ({ Activities: [] }));
  }

  /** Adds a group as Auto Scaling would show it after creating it for attempt `attempt`. */
  addGroup(name: string, group: Partial<FakeGroup> & { attempt?: number } = {}): FakeGroup {
    const { attempt = 1, ...rest } = group;
    const created: FakeGroup = {
      AutoScalingGroupName: name,
      DesiredCapacity: 0,
      MinSize: 0,
      MaxSize: 0,
      Instances: [],
      Tags: [{ Key: 'hf:launch-attempt', Value: String(attempt), PropagateAtLaunch: false }],
      SuspendedProcesses: [{ ProcessName: 'AZRebalance' }, { ProcessName: 'ReplaceUnhealthy' }],
      ...rest,
    };
    this.groups.set(name, created);
    return created;
  }

  private must(name: string): FakeGroup {
    const group = this.groups.get(name);
    if (!group) throw awsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return group;
  }
}

/** A group instance in service. */
export function inService(id: string, extra: Partial<FakeInstance> = {}): FakeInstance {
  return { InstanceId: id, LifecycleState: 'InService', InstanceType: 't3.medium', ...extra };
}
