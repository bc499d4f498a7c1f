import type { Request, Template } from '@open-hostfactory/core';
import { aMachine, aTemplate, anAcquireRequest, anObservation } from '@open-hostfactory/core/testing';
import { awsError } from '@open-hostfactory/aws-common/testing';
import { FakeAutoScaling, FixedLaunchTemplates, StaticInstances, inService } from '../test/fake-asg-client';
import { AsgProvider } from './asg-provider';

const REQ = 'req-00000000-0000-4000-8000-000000000001';
const GROUP = `hf-awsinst-${REQ}`;

const template = (overrides: Partial<Template> = {}): Template =>
  aTemplate({ providerApi: 'ASG', subnetIds: ['subnet-a', 'subnet-b'], ...overrides });
const request = (overrides: Partial<Request> = {}): Request =>
  anAcquireRequest({ requestId: REQ, providerApi: 'ASG', machineCount: 3, ...overrides });
const machine = (id: string, overrides: Parameters<typeof aMachine>[0] = {}): ReturnType<typeof aMachine> =>
  aMachine({ machineId: id, requestId: REQ, providerApi: 'ASG', ...overrides });

function setup(): { asg: FakeAutoScaling; reader: StaticInstances; templates: FixedLaunchTemplates; provider: AsgProvider } {
  const asg = new FakeAutoScaling();
  const reader = new StaticInstances();
  const templates = new FixedLaunchTemplates();
  return { asg, reader, templates, provider: new AsgProvider(asg, templates, reader, { providerName: 'awsinst' }) };
}

const acquire = (provider: AsgProvider, count: number, attempt = 1, tpl = template()): ReturnType<AsgProvider['acquire']> =>
  provider.acquire({ request: request(), template: tpl, count, attempt, deadline: Date.now() + 600_000 });

describe('AsgProvider.acquire', () => {
  it('creates one group for the request, suspends its replacing processes and returns no machines but the group name', async () => {
    const { asg, provider, templates } = setup();
    const result = await acquire(provider, 3);
    expect(result).toEqual({ machines: [], providerData: { groupName: GROUP } });
    expect(asg.names()).toEqual(['DescribeAutoScalingGroupsCommand', 'CreateAutoScalingGroupCommand', 'SuspendProcessesCommand']);
    expect(templates.ensured).toEqual(['OnDemand-Small']);
    expect(asg.calls('CreateAutoScalingGroupCommand')[0]).toMatchObject({
      AutoScalingGroupName: GROUP,
      MinSize: 0,
      MaxSize: 3,
      DesiredCapacity: 3,
      VPCZoneIdentifier: 'subnet-a,subnet-b',
      LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '3' },
      NewInstancesProtectedFromScaleIn: true,
    });
    expect(asg.calls('SuspendProcessesCommand')[0]).toEqual({ AutoScalingGroupName: GROUP, ScalingProcesses: ['AZRebalance', 'ReplaceUnhealthy'] });
  });

  it('with weights asks for units through a mixed instances policy', async () => {
    const { asg, provider } = setup();
    await acquire(
      provider,
      5,
      1,
      template({ priceType: 'spot', vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 }, allocationStrategy: 'capacityOptimized' }),
    );
    const input = asg.calls('CreateAutoScalingGroupCommand')[0];
    expect(input.DesiredCapacity).toBe(5);
    expect(input.MixedInstancesPolicy.LaunchTemplate.Overrides).toEqual([
      { InstanceType: 'm5.large', WeightedCapacity: '1' },
      { InstanceType: 'm5.xlarge', WeightedCapacity: '2' },
    ]);
    expect(input.MixedInstancesPolicy.InstancesDistribution).toMatchObject({
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'capacity-optimized',
    });
  });

  it('repeating the same (request, attempt) makes no second group and changes nothing', async () => {
    const { asg, provider } = setup();
    await acquire(provider, 3);
    const again = await acquire(provider, 3);
    expect(again.providerData).toEqual({ groupName: GROUP });
    expect(asg.calls('CreateAutoScalingGroupCommand')).toHaveLength(1);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(0);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(3);
  });

  it('a create race lost to another call (AlreadyExists) is not an error and creates nothing more', async () => {
    const { asg, provider } = setup();
    let describes = 0;
    asg.on('DescribeAutoScalingGroupsCommand', () => {
      describes += 1;
      return {
        AutoScalingGroups:
          describes === 1
            ? []
            : [
                {
                  AutoScalingGroupName: GROUP,
                  DesiredCapacity: 3,
                  MaxSize: 3,
                  Instances: [],
                  Tags: [{ Key: 'hf:launch-attempt', Value: '1' }],
                  SuspendedProcesses: [{ ProcessName: 'AZRebalance' }, { ProcessName: 'ReplaceUnhealthy' }],
                },
              ],
      };
    });
    asg.on('CreateAutoScalingGroupCommand', () => {
      throw awsError('AlreadyExists', 'AutoScalingGroup by this name already exists');
    });
    await expect(acquire(provider, 3)).resolves.toEqual({ machines: [], providerData: { groupName: GROUP } });
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(0);
  });

  it('a later attempt tops the existing group up to what it holds plus count, marking the attempt first', async () => {
    const { asg, provider } = setup();
    // 3 asked; one machine failed and was released with the desired capacity decremented.
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 3, Instances: [inService('i-1'), inService('i-2')] });
    await acquire(provider, 1, 2);
    expect(asg.names()).toEqual(['DescribeAutoScalingGroupsCommand', 'CreateOrUpdateTagsCommand', 'UpdateAutoScalingGroupCommand']);
    expect(asg.calls('CreateOrUpdateTagsCommand')[0].Tags).toEqual([
      { ResourceId: GROUP, ResourceType: 'auto-scaling-group', Key: 'hf:launch-attempt', Value: '2', PropagateAtLaunch: false },
    ]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')[0]).toEqual({ AutoScalingGroupName: GROUP, DesiredCapacity: 3, MaxSize: 3 });
    // The same attempt again raises nothing.
    await acquire(provider, 1, 2);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(1);
    expect(asg.calls('CreateAutoScalingGroupCommand')).toHaveLength(0);
  });

  it('a top-up raises MaxSize with the desired capacity and counts held units by weight', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, {
      DesiredCapacity: 4,
      MaxSize: 4,
      Instances: [
        inService('i-1', { InstanceType: 'm5.xlarge', WeightedCapacity: '2' }),
        inService('i-2', { InstanceType: 'm5.xlarge', WeightedCapacity: '2' }),
      ],
    });
    await acquire(provider, 3, 2, template({ vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }));
    expect(asg.groups.get(GROUP)).toMatchObject({ DesiredCapacity: 7, MaxSize: 7 });
  });

  it('a group still short of its target (failed launches) is not asked for more than it wanted', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 3, MaxSize: 3, Instances: [inService('i-1')] });
    await acquire(provider, 2, 2);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(0);
    expect(asg.groups.get(GROUP)?.Tags).toContainEqual({ Key: 'hf:launch-attempt', Value: '2', PropagateAtLaunch: false });
  });

  it('suspends the processes again when a crash left them running', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 3, MaxSize: 3, SuspendedProcesses: [] });
    await acquire(provider, 3);
    expect(asg.calls('SuspendProcessesCommand')).toHaveLength(1);
  });

  it('a group of that name being deleted is a transient CONFLICT', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { Status: 'Delete in progress' });
    await expect(acquire(provider, 1, 2)).rejects.toMatchObject({ code: 'CONFLICT', transient: true });
  });

  it.each([
    ['LimitExceeded', 'QUOTA_EXCEEDED'],
    ['ValidationError', 'TEMPLATE_INVALID'],
    ['AccessDenied', 'AUTH_ERROR'],
    ['Throttling', 'THROTTLED'],
  ])('maps a create failure %s to %s, keeping the cause', async (name, code) => {
    const { asg, provider } = setup();
    const cause = awsError(name);
    asg.on('CreateAutoScalingGroupCommand', () => {
      throw cause;
    });
    await expect(acquire(provider, 1)).rejects.toMatchObject({ code, cause });
  });

  it('maps a describe failure (throttling) to a transient THROTTLED', async () => {
    const { asg, provider } = setup();
    asg.on('DescribeAutoScalingGroupsCommand', () => {
      throw awsError('Throttling', 'Rate exceeded');
    });
    await expect(acquire(provider, 1)).rejects.toMatchObject({ code: 'THROTTLED', transient: true });
  });

  it('rejects a count that is not a positive integer', async () => {
    const { asg, provider } = setup();
    await expect(acquire(provider, 0)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(asg.sent).toEqual([]);
  });
});

describe('AsgProvider.describe', () => {
  it('reports fulfilling while the group is short without failures, settled once full', async () => {
    const { asg, provider } = setup();
    const other = 'req-00000000-0000-4000-8000-000000000002';
    asg.addGroup(GROUP, { DesiredCapacity: 3, Instances: [inService('i-1')] });
    asg.addGroup(`hf-awsinst-${other}`, { DesiredCapacity: 1, Instances: [inService('i-9', { LifecycleState: 'Pending' })] });
    const view = await provider.describe({ requests: [request(), request({ requestId: other })], machines: [] });
    expect(view.fulfilment?.get(REQ)).toEqual({ state: 'fulfilling' });
    expect(view.fulfilment?.get(other)).toEqual({ state: 'settled' });
    // Activities are looked at only for the short group.
    expect(asg.calls('DescribeScalingActivitiesCommand')).toEqual([{ AutoScalingGroupName: GROUP, MaxRecords: 5 }]);
    expect(asg.calls('DescribeAutoScalingGroupsCommand')).toHaveLength(1);
  });

  it('reports settled with the reason when the latest scaling activity failed', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 3, Instances: [inService('i-1'), inService('i-2', { LifecycleState: 'Terminating' })] });
    asg.on('DescribeScalingActivitiesCommand', () => ({
      Activities: [
        { StatusCode: 'Successful', StartTime: new Date(1000), Description: 'Launching a new EC2 instance: i-1' },
        {
          StatusCode: 'Failed',
          StartTime: new Date(2000),
          StatusMessage: 'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested',
          Description: 'Launching a new EC2 instance.  Status Reason: ...',
        },
      ],
    }));
    const view = await provider.describe({ requests: [request()], machines: [] });
    expect(view.fulfilment?.get(REQ)).toEqual({
      state: 'settled',
      reason: `Auto Scaling group ${GROUP}: We currently do not have sufficient t3.medium capacity in the Availability Zone you requested`,
    });
  });

  it('a cancelled latest activity settles too; an in-progress one keeps fulfilling', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2 });
    asg.on('DescribeScalingActivitiesCommand', (_input, call) => ({
      Activities: [{ StatusCode: call === 1 ? 'Cancelled' : 'InProgress', StartTime: new Date(5000), Description: 'Launching a new EC2 instance' }],
    }));
    expect((await provider.describe({ requests: [request()], machines: [] })).fulfilment?.get(REQ)).toEqual({
      state: 'settled',
      reason: `Auto Scaling group ${GROUP}: Launching a new EC2 instance`,
    });
    expect((await provider.describe({ requests: [request()], machines: [] })).fulfilment?.get(REQ)).toEqual({ state: 'fulfilling' });
  });

  it('a request whose group does not exist (never made, or deleted) is settled', async () => {
    const { provider } = setup();
    const view = await provider.describe({ requests: [request()], machines: [] });
    expect(view.fulfilment?.get(REQ)).toEqual({ state: 'settled' });
  });

  it('uses the group name kept in providerData', async () => {
    const { asg, provider } = setup();
    await provider.describe({ requests: [request({ providerData: { groupName: 'hf-old-name' } })], machines: [] });
    expect(asg.calls('DescribeAutoScalingGroupsCommand')[0].AutoScalingGroupNames).toEqual(['hf-old-name']);
  });

  it('describes at most 50 groups a call and follows pages', async () => {
    const { asg, provider } = setup();
    asg.on('DescribeAutoScalingGroupsCommand', (input) =>
      input.NextToken ? { AutoScalingGroups: [] } : { AutoScalingGroups: [], NextToken: 'more' },
    );
    const requests = Array.from({ length: 60 }, (_, i) => request({ requestId: `req-${i}` }));
    await provider.describe({ requests, machines: [] });
    const calls = asg.calls('DescribeAutoScalingGroupsCommand');
    expect(calls.map((c) => [c.AutoScalingGroupNames.length, c.NextToken, c.MaxRecords])).toEqual([
      [50, undefined, 50],
      [50, 'more', 50],
      [10, undefined, 50],
      [10, 'more', 50],
    ]);
  });

  it('reports instances through the reader by request tag and by id; the group is not asked for machines alone', async () => {
    const { asg, provider, reader } = setup();
    reader.observations = [
      anObservation({ machineId: 'i-1', requestId: REQ }),
      anObservation({ machineId: 'i-2', requestId: 'req-x', state: 'terminated' }),
    ];
    const view = await provider.describe({ requests: [], machines: [machine('i-2'), machine('i-gone')] });
    expect(reader.asked).toEqual([{ requestIds: [], machineIds: ['i-2', 'i-gone'] }]);
    expect(view.observations.map((o) => [o.machineId, o.state])).toEqual([['i-2', 'terminated']]);
    expect(view.missing).toEqual(['i-gone']);
    expect(asg.sent).toEqual([]);
  });

  it('maps a failure of the activities call', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2 });
    asg.on('DescribeScalingActivitiesCommand', () => {
      throw awsError('AccessDenied');
    });
    await expect(provider.describe({ requests: [request()], machines: [] })).rejects.toMatchObject({ code: 'AUTH_ERROR' });
  });
});

describe('AsgProvider.release', () => {
  const done = (): Request => request({ status: 'complete' });

  it('a finished request whose every machine is returned: the group is deleted with its instances in one call', async () => {
    const { asg, provider, reader } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    await provider.release([machine('i-1'), machine('i-2')], [done()]);
    expect(asg.names()).toEqual(['DescribeAutoScalingGroupsCommand', 'DeleteAutoScalingGroupCommand']);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, ForceDelete: true }]);
    expect(asg.groups.has(GROUP)).toBe(false);
    // Given back through EC2 too (already terminating on AWS; a look-alike may leave protected instances running).
    expect(reader.givenBack).toEqual(['i-1', 'i-2']);
    // Again (idempotent): the group is gone, nothing more is asked.
    await provider.release([machine('i-1'), machine('i-2')], [done()]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toHaveLength(1);
  });

  it('terminates machines one by one, decrementing, then deletes the emptied group, when the one-call delete finds the group busy', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    let busy = true;
    asg.on('DeleteAutoScalingGroupCommand', (input) => {
      if (busy) {
        busy = false;
        throw awsError('ScalingActivityInProgress', 'Activity in progress');
      }
      asg.groups.delete(input.AutoScalingGroupName);
      return {};
    });
    await provider.release([machine('i-1'), machine('i-2')], [done()]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([
      { InstanceId: 'i-1', ShouldDecrementDesiredCapacity: true },
      { InstanceId: 'i-2', ShouldDecrementDesiredCapacity: true },
    ]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([]);
    // Only instances already terminating are left: force, so the delete does not wait for them.
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([
      { AutoScalingGroupName: GROUP, ForceDelete: true },
      { AutoScalingGroupName: GROUP, ForceDelete: true },
    ]);
    expect(asg.groups.has(GROUP)).toBe(false);
  });

  it('a spot machine EC2 is reclaiming is detached (decrementing) and left to EC2, unless terminateOnReclaim', async () => {
    const reclaimed = (id: string) => machine(id, { notice: { kind: 'spot-interruption', deadline: 1_800_000_120 } });
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 3, MaxSize: 3, Instances: [inService('i-1'), inService('i-2'), inService('i-3')] });
    await provider.release([reclaimed('i-1'), machine('i-2')], [done()]);
    expect(asg.calls('DetachInstancesCommand')).toEqual([
      { AutoScalingGroupName: GROUP, InstanceIds: ['i-1'], ShouldDecrementDesiredCapacity: true },
    ]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([{ InstanceId: 'i-2', ShouldDecrementDesiredCapacity: true }]);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(1); // i-3 still held

    // Every machine returned, one of them reclaimed: detach it, then the group goes with the rest in one call.
    const whole = setup();
    whole.asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    await whole.provider.release([reclaimed('i-1'), machine('i-2')], [done()]);
    expect(whole.asg.names()).toEqual(['DescribeAutoScalingGroupsCommand', 'DetachInstancesCommand', 'DeleteAutoScalingGroupCommand']);
    expect(whole.reader.givenBack).toEqual(['i-2']); // the reclaimed one is EC2's

    const asg2 = new FakeAutoScaling();
    const terminating = new AsgProvider(asg2, new FixedLaunchTemplates(), new StaticInstances(), {
      providerName: 'awsinst',
      terminateOnReclaim: true,
    });
    asg2.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    await terminating.release([reclaimed('i-1')], [done()]);
    expect(asg2.calls('DetachInstancesCommand')).toEqual([]);
    expect(asg2.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([{ InstanceId: 'i-1', ShouldDecrementDesiredCapacity: true }]);
  });

  it('keeps the group while other machines are held in it', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    await provider.release([machine('i-1')], [done()]);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(1);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([]);
  });

  it('keeps the group of a request still seeking capacity (a top-up will raise it again)', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1')] });
    await provider.release([machine('i-1', { result: 'fail' })], [request({ status: 'running' })]);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(0);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([]);
  });

  it('lowers the desired capacity by the units of machines the group no longer lists, never below what it holds', async () => {
    const { asg, provider } = setup();
    // i-1 left the group without a decrement (the group would replace it); i-2 is held.
    asg.addGroup(GROUP, { DesiredCapacity: 4, MaxSize: 4, Instances: [inService('i-2', { WeightedCapacity: '2' })] });
    await provider.release([machine('i-1', { weight: 2 })], [request({ status: 'running' })]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 2 }]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([]);
    // Again (idempotent): the group holds 2 units for HF, so nothing is lowered further.
    await provider.release([machine('i-1', { weight: 2 })], [request({ status: 'running' })]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(1);
  });

  it('a finished request whose machines all left the group: desired 0 and the empty group deleted without force', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [] });
    await provider.release([machine('i-1')], [done()]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 0 }]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, ForceDelete: false }]);
  });

  it('is idempotent: instances already terminating are not terminated again', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    await provider.release([machine('i-1')], [done()]);
    await provider.release([machine('i-1')], [done()]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toHaveLength(1);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(1);
  });

  it('an instance Auto Scaling no longer manages (terminate says not found) counts as out of the group', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1')] });
    asg.on('TerminateInstanceInAutoScalingGroupCommand', (input) => {
      asg.groups.get(GROUP)!.Instances = [];
      throw awsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId}`);
    });
    // The request still seeks capacity, so the group is kept and the machine given back on its own.
    await expect(provider.release([machine('i-1')], [request({ status: 'running' })])).resolves.toBeUndefined();
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 0 }]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([]);
  });

  it('a group still busy when deleted is left for a later call', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1')] });
    asg.on('DeleteAutoScalingGroupCommand', () => {
      throw awsError('ScalingActivityInProgress', 'Activity in progress');
    });
    await expect(provider.release([machine('i-1')], [done()])).resolves.toBeUndefined();
    // The one-call delete failed: the machine was terminated in the group instead, and the empty group is left for later.
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([{ InstanceId: 'i-1', ShouldDecrementDesiredCapacity: true }]);
    expect(asg.groups.has(GROUP)).toBe(true);
  });

  it('machines of a group that is gone are given back through EC2, with no other Auto Scaling call', async () => {
    const { asg, provider, reader } = setup();
    await provider.release([machine('i-1')], [done()]);
    expect(asg.names()).toEqual(['DescribeAutoScalingGroupsCommand']);
    expect(reader.givenBack).toEqual(['i-1']);
  });

  it('groups machines by request and describes the groups in one call', async () => {
    const { asg, provider } = setup();
    const other = 'req-00000000-0000-4000-8000-000000000002';
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1')] });
    asg.addGroup(`hf-awsinst-${other}`, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-2')] });
    await provider.release([machine('i-1'), machine('i-2', { requestId: other })], [done()]);
    expect(asg.calls('DescribeAutoScalingGroupsCommand')[0].AutoScalingGroupNames).toEqual([GROUP, `hf-awsinst-${other}`]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toHaveLength(2);
    // The other request was not handed in: it is not known to seek capacity, so its group goes too.
    expect(asg.groups.size).toBe(0);
  });

  it('does not decrement a group that holds more than its desired capacity (protected instances after a shrink)', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1'), inService('i-2'), inService('i-3')] });
    await provider.release([machine('i-2'), machine('i-3')], [done()]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toEqual([
      { InstanceId: 'i-2', ShouldDecrementDesiredCapacity: false },
      { InstanceId: 'i-3', ShouldDecrementDesiredCapacity: false },
    ]);
    expect(asg.groups.get(GROUP)?.DesiredCapacity).toBe(1);
    // The last machine: the group goes with it in one call.
    await provider.release([machine('i-1')], [done()]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand')).toHaveLength(2);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, ForceDelete: true }]);
    expect(asg.groups.has(GROUP)).toBe(false);
  });

  it('a decrement Auto Scaling refuses is retried without, and the desired capacity set after', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [inService('i-1'), inService('i-2')] });
    asg.on('TerminateInstanceInAutoScalingGroupCommand', (input) => {
      if (input.ShouldDecrementDesiredCapacity)
        throw awsError('ValidationError', 'Currently, desired capacity is 2. Cannot decrement desired capacity below min size 2');
      const group = asg.groups.get(GROUP)!;
      group.Instances = group.Instances.filter((instance) => instance.InstanceId !== input.InstanceId);
      return {};
    });
    await provider.release([machine('i-1')], [done()]);
    expect(asg.calls('TerminateInstanceInAutoScalingGroupCommand').map((c) => c.ShouldDecrementDesiredCapacity)).toEqual([true, false]);
    // i-2 is still held: the group is set to hold just that.
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 1 }]);
  });

  it('maps other terminate failures', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 1, Instances: [inService('i-1')] });
    asg.on('TerminateInstanceInAutoScalingGroupCommand', () => {
      throw awsError('ResourceContention');
    });
    await expect(provider.release([machine('i-1')], [request({ status: 'running' })])).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('releasing nothing calls nothing', async () => {
    const { asg, provider } = setup();
    await provider.release([], [done()]);
    expect(asg.sent).toEqual([]);
  });
});

describe('AsgProvider.abandon', () => {
  it('shrinks the group to the units of the machines it keeps (desired and max)', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, {
      DesiredCapacity: 5,
      MaxSize: 5,
      Instances: [inService('i-1', { WeightedCapacity: '2' }), inService('i-2'), inService('i-3')],
    });
    await provider.abandon(request({ status: 'complete_with_error' }), [
      machine('i-1', { weight: 2 }),
      machine('i-2'),
      machine('i-3', { result: 'fail' }),
    ]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 3, MaxSize: 3 }]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([]);
    // Again: nothing to change.
    await provider.abandon(request({ status: 'complete_with_error' }), [machine('i-1', { weight: 2 }), machine('i-2')]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toHaveLength(1);
  });

  it('deletes the group when the request got nothing', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 2, MaxSize: 2, Instances: [] });
    await provider.abandon(request({ status: 'complete_with_error' }), []);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 0, MaxSize: 0 }]);
    expect(asg.calls('DeleteAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, ForceDelete: false }]);
  });

  it('never raises a group and ignores a group that is gone', async () => {
    const { asg, provider } = setup();
    asg.addGroup(GROUP, { DesiredCapacity: 1, MaxSize: 3, Instances: [inService('i-1'), inService('i-2')] });
    await provider.abandon(request(), [machine('i-1'), machine('i-2')]);
    expect(asg.calls('UpdateAutoScalingGroupCommand')).toEqual([{ AutoScalingGroupName: GROUP, DesiredCapacity: 1, MaxSize: 1 }]);
    asg.groups.clear();
    await expect(provider.abandon(request(), [])).resolves.toBeUndefined();
  });
});

describe('AsgProvider.preflight', () => {
  it('checks the launch template, builds the group input and describes; it creates no group (Auto Scaling has no DryRun)', async () => {
    const { asg, provider } = setup();
    expect(await provider.preflight(template())).toEqual({
      checked: ['launch template lt-0123456789abcdef0', 'CreateAutoScalingGroup input (Auto Scaling has no DryRun)', 'DescribeAutoScalingGroups'],
      problems: [],
    });
    expect(asg.names()).toEqual(['DescribeAutoScalingGroupsCommand']);
  });

  it('a template a group cannot launch fails; a refused describe fails with the reason', async () => {
    const { asg, provider } = setup();
    expect((await provider.preflight(template({ subnetIds: [] }))).problems).toEqual([
      { severity: 'fail', field: 'template', message: expect.stringContaining('needs subnetIds') },
    ]);
    asg.on('DescribeAutoScalingGroupsCommand', () => {
      throw awsError('AccessDenied', 'User is not authorized to perform: autoscaling:DescribeAutoScalingGroups', 403);
    });
    expect((await provider.preflight(template())).problems).toEqual([
      { severity: 'fail', field: 'template', message: expect.stringContaining('not authorized') },
    ]);
  });
});
