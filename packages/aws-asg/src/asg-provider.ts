import {
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DetachInstancesCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import {
  HostFactoryError,
  TAG_LAUNCH_ATTEMPT,
  TAG_PROVIDER_NAME,
  TAG_REQUEST_ID,
  instanceWeight,
  isEndedState,
  templateProblemOf,
  type AcquireInput,
  type AcquireResult,
  type CapacityHolder,
  type CapacityProvider,
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
import { allItems, chunk, unique } from '@open-hostfactory/aws-common';
import type { AutoScalingClientLike } from './asg-client';
import { asgErrorCode, mapAsgError } from './errors';
import { SUSPENDED_PROCESSES, groupInput } from './group-input';
import { attemptTag } from './tags';

/**
 * Where the provider gets the launch template of an HF template (one per template, a new version
 * only when its launch settings change). aws-ec2's `LaunchTemplates` satisfies it; the app wires
 * it in, since adapters never import each other.
 */
export interface LaunchTemplateSource {
  ensure(template: Template): Promise<{ launchTemplateId: string; version: string }>;
  /** Read-only: the launch template a launch would use, when it exists; otherwise its creation dry-run. */
  preflight(template: Template): Promise<{ ref?: { launchTemplateId: string; version: string } } & PreflightResult>;
}

/**
 * The EC2 instances the provider reports from and gives machines back through when no group
 * holds them any more. aws-ec2's `Ec2Instances` satisfies it.
 */
export interface InstanceAccess {
  /** Instances tagged with any of requestIds (tag hf:request-id) plus the given ids; missing = asked ids unknown. */
  describe(requestIds: readonly string[], machineIds: readonly string[]): Promise<{ observations: MachineObservation[]; missing: string[] }>;
  /** Instances tagged with the provider name that still hold capacity. */
  tagged(providerName: string): Promise<MachineObservation[]>;
  /** The instances among the ids tagged with the provider name. */
  lookup(providerName: string, machineIds: readonly string[]): Promise<MachineObservation[]>;
  /** Terminates the machines (EC2 TerminateInstances; spot ones EC2 is reclaiming are left to it unless AWS_SPOT_TERMINATE_ON_RECLAIM). Idempotent. */
  giveBack(machines: readonly Machine[]): Promise<void>;
}

export interface AsgProviderOptions {
  /** The HF provider instance name (HF_PROVIDER_NAME): part of every group name and tag. */
  readonly providerName: string;
  /**
   * AWS_SPOT_TERMINATE_ON_RECLAIM: a returned spot instance EC2 is reclaiming is terminated in its
   * group anyway (true) or detached from it and left to EC2, which ends it within its two-minute
   * notice (false, IBM's default).
   */
  readonly terminateOnReclaim?: boolean;
}

/** Instance ids per DetachInstances call (Auto Scaling takes up to 20). */
export const DETACH_BATCH = 20;

/** Names per DescribeAutoScalingGroups call (the API takes up to 50 by default). */
export const DESCRIBE_GROUPS_BATCH = 50;
/** Scaling activities read per short group (newest first) to tell a failing group. */
const ACTIVITIES_LOOKED_AT = 5;
/** Longest fulfilment reason kept (activity messages can be long). */
const REASON_LIMIT = 500;

/**
 * Capacity by Auto Scaling groups: **one group per acquire request**, named
 * `hf-<providerName>-<requestId>`.
 *
 * Why one per request rather than one per template: the group's tags (propagated at launch)
 * carry the request id to every instance it starts, so a status poll, crash recovery and orphan
 * sweeps find a request's instances by tag with no bookkeeping of ours; the group's lifecycle is
 * the request's (filled while the request seeks capacity, shrunk when it ends short, deleted once
 * its machines are returned); and no request can take or scale in another request's hosts. The
 * cost: a group per running request counts against the regional Auto Scaling group quota
 * (500 per region by default) — empty groups are deleted as soon as their request is done.
 *
 * Every group: MinSize 0, Max = Desired = the asked units, new instances protected from
 * scale-in, `AZRebalance` and `ReplaceUnhealthy` suspended (see {@link SUSPENDED_PROCESSES}),
 * capacity rebalancing off. Top-ups (core's later attempts once the group is `settled`) raise the
 * existing group's desired capacity instead of making another group.
 */
export class AsgProvider implements CapacityProvider {
  readonly api: ProviderApi = 'ASG';

  constructor(
    private readonly client: AutoScalingClientLike,
    private readonly launchTemplates: LaunchTemplateSource,
    private readonly instances: InstanceAccess,
    private readonly options: AsgProviderOptions,
  ) {}

  /** `hf-<providerName>-<requestId>`: one group per acquire request. */
  groupName(requestId: string): string {
    return `hf-${this.options.providerName}-${requestId}`;
  }

  /**
   * Auto Scaling has no DryRun: the preflight checks the launch template (its creation dry-run
   * when the first request has not made it), that the group input can be built from the
   * template, and that DescribeAutoScalingGroups is allowed. CreateAutoScalingGroup is not sent.
   */
  async preflight(template: Template): Promise<PreflightResult> {
    const launchTemplate = await this.launchTemplates.preflight(template);
    const checked = [...launchTemplate.checked];
    const problems = [...launchTemplate.problems];
    try {
      const ref = launchTemplate.ref ?? { launchTemplateId: '', version: '' };
      groupInput({
        groupName: this.groupName('preflight'),
        providerName: this.options.providerName,
        requestId: 'preflight',
        template,
        launchTemplate: ref,
        count: 1,
        attempt: 1,
      });
      checked.push('CreateAutoScalingGroup input (Auto Scaling has no DryRun)');
    } catch (error) {
      problems.push(templateProblemOf(error));
    }
    try {
      await this.describeGroups([this.groupName('preflight')]);
      checked.push('DescribeAutoScalingGroups');
    } catch (error) {
      problems.push(templateProblemOf(error));
    }
    return { checked, problems };
  }

  /**
   * Creates the request's group for `count` units, or, when it exists already, raises its desired
   * capacity to what it holds plus `count` (a top-up). Returns no machines (the group launches
   * them over time; `describe` finds them by tag) and `providerData.groupName`. Idempotent per
   * (request, attempt): the group name is per request and the group's `hf:launch-attempt` tag
   * records the last attempt applied, so a repeat neither makes a second group nor raises twice.
   * Throws HostFactoryError (see {@link mapAsgError}); `TEMPLATE_INVALID` for templates a group
   * cannot launch; `CONFLICT` (transient) while a group of the same name is being deleted.
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const { request, template, count, attempt } = input;
    if (!Number.isInteger(count) || count < 1) {
      throw new HostFactoryError('INVALID_INPUT', `count must be a positive integer, got ${count}`);
    }
    const name = this.groupName(request.requestId);
    const result: AcquireResult = { machines: [], providerData: { groupName: name } };
    // Looked up first: a repeated create must never replace a group (moto even does so silently).
    let group = (await this.describeGroups([name])).get(name);
    if (!group) {
      const launchTemplate = await this.launchTemplates.ensure(template);
      const params = groupInput({
        groupName: name,
        providerName: this.options.providerName,
        requestId: request.requestId,
        template,
        launchTemplate,
        count,
        attempt,
      });
      let created = false;
      try {
        await this.client.send(new CreateAutoScalingGroupCommand(params));
        created = true;
      } catch (error) {
        if (asgErrorCode(error) !== 'AlreadyExists') throw mapAsgError(error, 'CreateAutoScalingGroup');
        // Another call made it a moment ago: treat as existing.
        group = (await this.describeGroups([name])).get(name);
        if (!group) throw mapAsgError(error, 'CreateAutoScalingGroup');
      }
      if (created || !group) {
        // Should this fail, a repeat of the attempt finds the group and suspends them then.
        await this.suspendProcesses(name);
        return result;
      }
    }
    if (isDeleting(group)) {
      throw new HostFactoryError('CONFLICT', `Auto Scaling group ${name} is being deleted; launch again later`, {
        transient: true,
        details: { groupName: name },
      });
    }
    if (missingSuspensions(group).length > 0) await this.suspendProcesses(name);
    const applied = Number(group.Tags?.find((tag) => tag.Key === TAG_LAUNCH_ATTEMPT)?.Value ?? '0');
    if (Number.isFinite(applied) && applied >= attempt) return result;

    // A top-up: the group should hold what it holds now plus `count`. Raising the desired
    // capacity by `count` instead would over-ask when the group is still short of its earlier
    // target (failed launches keep that shortfall in its desired capacity).
    const current = group.DesiredCapacity ?? 0;
    const desired = Math.max(current, aliveUnits(group, template) + count);
    const maxSize = Math.max(group.MaxSize ?? 0, desired);
    // Attempt marked first: a crash between the two calls under-launches, which core sees as a
    // settled group and tops up again; the other order could launch twice.
    try {
      await this.client.send(new CreateOrUpdateTagsCommand({ Tags: [attemptTag(name, attempt)] }));
    } catch (error) {
      throw mapAsgError(error, 'CreateOrUpdateTags');
    }
    if (desired !== current || maxSize !== group.MaxSize) {
      await this.updateGroup(name, { DesiredCapacity: desired, MaxSize: maxSize });
    }
    return result;
  }

  /**
   * One batched pass: the asked requests' groups (DescribeAutoScalingGroups, 50 names a call,
   * paginated) give each request's fulfilment — `fulfilling` while the group holds less than its
   * desired capacity and its latest scaling activity has not failed; `settled` once it holds
   * its desired capacity, when it is gone, or when its latest activity failed or was cancelled
   * (`reason` = the activity's message; one DescribeScalingActivities call per short group only).
   * Instances come from the InstanceAccess by request tag (propagated by the group) and by id,
   * so instances the group removed by itself show as terminated or missing. Read-only.
   */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    const fulfilment = new Map<string, Fulfilment>();
    const names = new Map(input.requests.map((request) => [request.requestId, this.groupOf(request)]));
    const groups = names.size > 0 ? await this.describeGroups([...names.values()]) : new Map<string, AutoScalingGroup>();
    for (const [requestId, name] of names) {
      const group = groups.get(name);
      if (!group || isDeleting(group)) {
        fulfilment.set(requestId, { state: 'settled' });
        continue;
      }
      if (aliveUnits(group) >= (group.DesiredCapacity ?? 0)) {
        fulfilment.set(requestId, { state: 'settled' });
        continue;
      }
      const failure = await this.latestFailure(name);
      fulfilment.set(requestId, failure === undefined ? { state: 'fulfilling' } : { state: 'settled', reason: failure });
    }
    const view = await this.instances.describe(
      input.requests.map((request) => request.requestId),
      input.machines.map((machine) => machine.machineId),
    );
    return { observations: view.observations, missing: view.missing, fulfilment };
  }

  /**
   * Gives machines back, per group:
   *
   * - A group whose request no longer seeks capacity and that holds no live instance besides the
   *   returned machines is deleted together with its instances in one call
   *   (DeleteAutoScalingGroup, ForceDelete): nothing to decrement first, no window in which the
   *   group replaces what was returned. The machines are then also given back through EC2
   *   (already terminating on AWS; moto's ForceDelete leaves scale-in-protected instances
   *   running), as are machines whose group is gone.
   * - Otherwise each machine still in its group is terminated with
   *   TerminateInstanceInAutoScalingGroup (ShouldDecrementDesiredCapacity), so the group does not
   *   replace it; for machines the group no longer lists (removed by the group or the cloud) the
   *   desired capacity is lowered by their units, never below what the group still holds for HF.
   *   A group whose request no longer runs is shrunk to what it holds and deleted once it holds
   *   nothing alive (ForceDelete only when the instances left are already terminating, so nothing
   *   HF holds is ever force-terminated; a group still busy is left for a later release/abandon).
   *
   * Spot instances EC2 is reclaiming (a spot interruption notice) are, unless
   * `terminateOnReclaim`, detached from their group first (DetachInstances, decrementing) and
   * left to EC2, as the EC2 shapes leave them. Idempotent; machines and groups already gone are fine.
   */
  async release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    if (machines.length === 0) return;
    const requestById = new Map(requests.map((request) => [request.requestId, request]));
    const byGroup = new Map<string, Machine[]>();
    for (const machine of machines) {
      const request = requestById.get(machine.requestId);
      const name = request ? this.groupOf(request) : this.groupName(machine.requestId);
      byGroup.set(name, [...(byGroup.get(name) ?? []), machine]);
    }
    const seeking = (name: string): boolean =>
      [...requestById.values()].some((candidate) => this.groupOf(candidate) === name && candidate.status === 'running');
    const before = await this.describeGroups([...byGroup.keys()]);
    // Machines no group holds (the group is gone, or was deleted with them above, which some EC2
    // look-alikes do without ending scale-in-protected instances): given back through EC2.
    const loose = [...byGroup].filter(([name]) => !before.has(name)).flatMap(([, own]) => own);
    const outUnits = new Map<string, number>();
    for (const [name, group] of before) {
      const mine = byGroup.get(name) ?? [];
      const detached = await this.detachReclaimed(group, mine);
      const returned = new Set(mine.map((machine) => machine.machineId));
      const alive = (group.Instances ?? []).filter((instance) => isAlive(instance) && !detached.has(instance.InstanceId ?? ''));
      if (!seeking(name) && alive.length > 0 && alive.every((instance) => returned.has(instance.InstanceId ?? ''))) {
        if (await this.deleteWithInstances(name)) {
          before.delete(name);
          loose.push(...mine.filter((machine) => !detached.has(machine.machineId)));
          continue;
        }
      }
      outUnits.set(name, await this.terminateInGroupEach(group, mine, detached));
    }
    await this.instances.giveBack(loose);
    if (before.size === 0) return;
    const after = await this.describeGroups([...before.keys()]);
    for (const [name, group] of after) {
      const released = new Set((byGroup.get(name) ?? []).map((machine) => machine.machineId));
      const held = (group.Instances ?? []).filter((instance) => isAlive(instance) && !released.has(instance.InstanceId ?? ''));
      const holdUnits = held.reduce((sum, instance) => sum + unitsOf(instance), 0);
      const desired = group.DesiredCapacity ?? 0;
      // While the request seeks capacity the group keeps filling; otherwise it holds only HF's machines.
      const wanted = seeking(name) ? Math.max(holdUnits, desired - (outUnits.get(name) ?? 0)) : holdUnits;
      const target = Math.max(0, Math.min(desired, wanted));
      if (target !== desired) await this.updateGroup(name, { DesiredCapacity: target });
      if (!seeking(name) && target === 0 && held.length === 0) await this.deleteGroup(group);
    }
  }

  /**
   * The per-machine return of one group: each returned machine still alive in it is terminated
   * there (decrementing when the group would otherwise replace it). Returns the units of returned
   * machines the group no longer lists (or let go meanwhile), for the caller to lower its desired
   * capacity by.
   */
  private async terminateInGroupEach(group: AutoScalingGroup, machines: readonly Machine[], detached: ReadonlySet<string>): Promise<number> {
    const listed = new Map((group.Instances ?? []).map((instance) => [instance.InstanceId, instance]));
    let out = 0;
    let alive = aliveUnits(group);
    let desired = Math.max(0, group.DesiredCapacity ?? 0);
    for (const machine of machines) {
      if (detached.has(machine.machineId)) continue; // detached with a decrement already
      const instance = listed.get(machine.machineId);
      if (!instance) {
        out += machine.weight;
        continue;
      }
      if (!isAlive(instance)) continue; // already on its way out
      const weight = unitsOf(instance);
      // Decrement only when the group would otherwise launch a replacement: a group holding
      // more than its desired capacity (protected instances after a shrink) must not be
      // decremented below what Auto Scaling allows.
      const decrement = desired > 0 && alive - weight < desired;
      if (await this.terminateInGroup(machine.machineId, decrement)) {
        alive -= weight;
        if (decrement) desired = Math.max(0, desired - weight);
      } else {
        out += machine.weight; // the group let go of it in the meantime
      }
    }
    return out;
  }

  /**
   * Unless `terminateOnReclaim`: the returned machines EC2 is reclaiming that are alive in the
   * group are detached from it, decrementing its desired capacity (so it neither replaces nor
   * terminates them; EC2 ends them). Returns the ids detached.
   */
  private async detachReclaimed(group: AutoScalingGroup, machines: readonly Machine[]): Promise<Set<string>> {
    if (this.options.terminateOnReclaim) return new Set();
    const aliveIds = new Set((group.Instances ?? []).filter(isAlive).map((instance) => instance.InstanceId));
    const reclaimed = machines.filter((machine) => machine.notice?.kind === 'spot-interruption' && aliveIds.has(machine.machineId));
    const detached = new Set<string>();
    for (const ids of chunk(
      reclaimed.map((machine) => machine.machineId),
      DETACH_BATCH,
    )) {
      try {
        await this.client.send(
          new DetachInstancesCommand({ AutoScalingGroupName: group.AutoScalingGroupName, InstanceIds: ids, ShouldDecrementDesiredCapacity: true }),
        );
        for (const id of ids) detached.add(id);
      } catch (error) {
        // Detaching would take the group below its minimum, or the instances left it already:
        // they are then terminated in the group like the others (ending them early is safe).
        if (asgErrorCode(error) !== 'ValidationError') throw mapAsgError(error, 'DetachInstances');
      }
    }
    return detached;
  }

  /** DeleteAutoScalingGroup with ForceDelete (its instances terminated with it); false when Auto Scaling says the group is busy. */
  private async deleteWithInstances(name: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
      return true;
    } catch (error) {
      if (isGroupNotFound(error)) return true;
      const code = asgErrorCode(error);
      if (code === 'ResourceInUse' || code === 'ScalingActivityInProgress') return false;
      throw mapAsgError(error, 'DeleteAutoScalingGroup');
    }
  }

  /**
   * The request ended short: its group is shrunk to the units of the machines it keeps (desired
   * and max size, one UpdateAutoScalingGroup call, no cooldown involved) so that it launches
   * nothing more, and deleted when that is nothing. Machines are kept. Idempotent.
   */
  async abandon(request: Request, machines: readonly Machine[]): Promise<void> {
    const name = this.groupOf(request);
    const group = (await this.describeGroups([name])).get(name);
    if (!group || isDeleting(group)) return;
    const kept = new Set(
      machines.filter((m) => m.result !== 'fail' && !m.gone && m.returnRequestId === undefined && !isEndedState(m.status)).map((m) => m.machineId),
    );
    const alive = (group.Instances ?? []).filter(isAlive);
    const units = alive.filter((instance) => kept.has(instance.InstanceId ?? '')).reduce((sum, instance) => sum + unitsOf(instance), 0);
    const desired = Math.max(0, Math.min(group.DesiredCapacity ?? 0, units));
    if (desired !== group.DesiredCapacity || desired !== group.MaxSize) {
      await this.updateGroup(name, { DesiredCapacity: desired, MaxSize: desired });
    }
    if (desired === 0 && alive.length === 0) await this.deleteGroup(group);
  }

  /**
   * The instances tagged with the provider name and every group tagged with it (a tag filter),
   * with the instances each holds. Read-only.
   */
  async inventory(): Promise<CloudInventory> {
    const holders: CapacityHolder[] = [];
    const tagged = await this.describeGroupPages({ Filters: [{ Name: `tag:${TAG_PROVIDER_NAME}`, Values: [this.options.providerName] }] });
    for (const group of tagged) {
      const tag = (key: string): string | undefined => group.Tags?.find((t) => t.Key === key)?.Value;
      if (!group.AutoScalingGroupName || isDeleting(group) || tag(TAG_PROVIDER_NAME) !== this.options.providerName) continue;
      const requestId = tag(TAG_REQUEST_ID);
      holders.push({
        api: this.api,
        kind: 'Auto Scaling group',
        id: group.AutoScalingGroupName,
        ...(requestId ? { requestId } : {}),
        instanceIds: (group.Instances ?? []).filter(isAlive).flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
      });
    }
    return { instances: await this.instances.tagged(this.options.providerName), holders };
  }

  /**
   * Deletes groups together with their instances: each instance still in a group is terminated
   * with the desired capacity decremented (scale-in protection does not stop that), then the group
   * is force-deleted. Groups already gone are fine.
   */
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    const groups = await this.describeGroups(holders.map((h) => h.id));
    for (const group of groups.values()) {
      for (const instance of (group.Instances ?? []).filter(isAlive)) {
        if (instance.InstanceId) await this.terminateInGroup(instance.InstanceId, true);
      }
      try {
        await this.client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: group.AutoScalingGroupName, ForceDelete: true }));
      } catch (error) {
        if (!isGroupNotFound(error)) throw mapAsgError(error, 'DeleteAutoScalingGroup');
      }
    }
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.instances.lookup(this.options.providerName, machineIds);
  }

  private groupOf(request: Request): string {
    return request.providerData['groupName'] || this.groupName(request.requestId);
  }

  /** The named groups that exist, by name; batched and paginated. */
  private async describeGroups(names: readonly string[]): Promise<Map<string, AutoScalingGroup>> {
    const groups = new Map<string, AutoScalingGroup>();
    for (const batch of chunk(unique(names), DESCRIBE_GROUPS_BATCH)) {
      for (const group of await this.describeGroupPages({ AutoScalingGroupNames: batch })) {
        if (group.AutoScalingGroupName) groups.set(group.AutoScalingGroupName, group);
      }
    }
    return groups;
  }

  /** Every page of one DescribeAutoScalingGroups selection (names or tag filters). */
  private async describeGroupPages(
    selection: { AutoScalingGroupNames: string[] } | { Filters: { Name: string; Values: string[] }[] },
  ): Promise<AutoScalingGroup[]> {
    return allItems(
      (NextToken) =>
        this.client
          .send(new DescribeAutoScalingGroupsCommand({ ...selection, MaxRecords: DESCRIBE_GROUPS_BATCH, NextToken }))
          .catch((error: unknown) => {
            throw mapAsgError(error, 'DescribeAutoScalingGroups');
          }),
      (page) => page.AutoScalingGroups,
    );
  }

  /** The latest scaling activity's message when it failed or was cancelled; else undefined. */
  private async latestFailure(name: string): Promise<string | undefined> {
    let page;
    try {
      page = await this.client.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: ACTIVITIES_LOOKED_AT }));
    } catch (error) {
      throw mapAsgError(error, 'DescribeScalingActivities');
    }
    const latest = [...(page.Activities ?? [])].sort((a, b) => time(b.StartTime) - time(a.StartTime))[0];
    if (!latest || (latest.StatusCode !== 'Failed' && latest.StatusCode !== 'Cancelled')) return undefined;
    const text = latest.StatusMessage || latest.Description || latest.StatusCode;
    return `Auto Scaling group ${name}: ${text}`.slice(0, REASON_LIMIT);
  }

  private async suspendProcesses(name: string): Promise<void> {
    try {
      await this.client.send(new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: [...SUSPENDED_PROCESSES] }));
    } catch (error) {
      throw mapAsgError(error, 'SuspendProcesses');
    }
  }

  private async updateGroup(name: string, change: { DesiredCapacity: number; MaxSize?: number }): Promise<void> {
    try {
      await this.client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, ...change }));
    } catch (error) {
      if (isGroupNotFound(error)) return;
      throw mapAsgError(error, 'UpdateAutoScalingGroup');
    }
  }

  /**
   * True when terminated; false when Auto Scaling no longer manages the instance. A decrement
   * Auto Scaling refuses (it would go below the minimum size) is retried without: the desired
   * capacity is then set explicitly by the caller.
   */
  private async terminateInGroup(machineId: string, decrement: boolean): Promise<boolean> {
    try {
      await this.client.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: machineId, ShouldDecrementDesiredCapacity: decrement }));
      return true;
    } catch (error) {
      const message = messageOf(error);
      if (asgErrorCode(error) === 'ValidationError' && /not found|no managed instance/i.test(message)) return false;
      if (decrement && asgErrorCode(error) === 'ValidationError' && /desired|min(imum)? ?size/i.test(message)) {
        return this.terminateInGroup(machineId, false);
      }
      throw mapAsgError(error, 'TerminateInstanceInAutoScalingGroup');
    }
  }

  /**
   * Deletes an empty group. ForceDelete only when instances are still listed — all of them
   * terminating by then — so that Auto Scaling does not wait for them. A group that is busy
   * (ResourceInUse, ScalingActivityInProgress) is left for a later release/abandon.
   */
  private async deleteGroup(group: AutoScalingGroup): Promise<void> {
    const name = group.AutoScalingGroupName as string;
    try {
      await this.client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: (group.Instances ?? []).length > 0 }));
    } catch (error) {
      const code = asgErrorCode(error);
      if (isGroupNotFound(error) || code === 'ResourceInUse' || code === 'ScalingActivityInProgress') return;
      throw mapAsgError(error, 'DeleteAutoScalingGroup');
    }
  }
}

/** Lifecycle states in which an instance counts toward the group's capacity. */
function isAlive(instance: Instance): boolean {
  return !/^(Terminat|Detach|Warmed)/.test(instance.LifecycleState ?? '');
}

function unitsOf(instance: Instance, template?: Template): number {
  const weight = Number(instance.WeightedCapacity);
  if (Number.isFinite(weight) && weight > 0) return weight;
  return template ? instanceWeight(template, instance.InstanceType ?? '') : 1;
}

function aliveUnits(group: AutoScalingGroup, template?: Template): number {
  return (group.Instances ?? []).filter(isAlive).reduce((sum, instance) => sum + unitsOf(instance, template), 0);
}

function isDeleting(group: AutoScalingGroup): boolean {
  return /delete/i.test(group.Status ?? '');
}

function missingSuspensions(group: AutoScalingGroup): string[] {
  const suspended = new Set((group.SuspendedProcesses ?? []).map((process) => process.ProcessName));
  return SUSPENDED_PROCESSES.filter((process) => !suspended.has(process));
}

function isGroupNotFound(error: unknown): boolean {
  return asgErrorCode(error) === 'ValidationError' && /not found/i.test(messageOf(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function time(value: Date | undefined): number {
  return value instanceof Date ? value.getTime() : 0;
}
