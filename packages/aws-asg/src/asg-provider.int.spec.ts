// AsgProvider against moto_server: what the group looks like, top-ups, abandon, deletion, and
// instances the group takes back by itself (scale-in) showing up through describe.
import {
  DescribeAutoScalingGroupsCommand,
  SetInstanceProtectionCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { newMachine, type Machine, type Request, type Template } from '@open-hostfactory/core';
import { aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { MOTO_AMI, MotoInstances, MotoLaunchTemplates, createNetwork, motoClients } from '../test/moto';
import { AsgProvider } from './asg-provider';

describe('AsgProvider on moto_server', () => {
  let asg: AutoScalingClient;
  let ec2: EC2Client;
  let provider: AsgProvider;
  let template: Template;
  let sequence = 0;

  beforeAll(async () => {
    ({ asg, ec2 } = motoClients());
    const network = await createNetwork(ec2);
    provider = new AsgProvider(asg, new MotoLaunchTemplates(ec2), new MotoInstances(ec2), { providerName: 'int' });
    template = aTemplate({
      templateId: 'Int-ASG',
      providerApi: 'ASG',
      imageId: MOTO_AMI,
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
      instanceTags: { team: 'hpc' },
    });
  });

  afterAll(() => {
    asg.destroy();
    ec2.destroy();
  });

  const newRequest = (machineCount: number): Request => {
    sequence += 1;
    return anAcquireRequest({
      requestId: `req-int-${Date.now().toString(16)}-${sequence}`,
      providerApi: 'ASG',
      templateId: template.templateId,
      machineCount,
    });
  };

  const group = async (name: string): Promise<AutoScalingGroup | undefined> =>
    (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];

  /** Launches for a request and returns its machines as core would record them. */
  const launch = async (count: number, tpl = template): Promise<{ request: Request; machines: Machine[]; name: string }> => {
    let request = newRequest(count);
    const result = await provider.acquire({ request, template: tpl, count, attempt: 1, deadline: Date.now() + 600_000 });
    request = { ...request, providerData: { ...result.providerData } };
    const view = await provider.describe({ requests: [request], machines: [] });
    const machines = view.observations.map((o) =>
      newMachine(
        o,
        { requestId: request.requestId, templateId: tpl.templateId, providerApi: 'ASG', instanceTags: 'team=hpc' },
        { now: Date.now(), pendingTimeoutSec: 0 },
      ),
    );
    return { request, machines, name: result.providerData!['groupName'] as string };
  };

  it('makes a protected group with suspended processes whose instances carry the request tags', async () => {
    const { request, machines, name } = await launch(2);
    expect(name).toBe(`hf-int-${request.requestId}`);
    expect(machines).toHaveLength(2);
    const made = await group(name);
    expect(made).toMatchObject({ MinSize: 0, MaxSize: 2, DesiredCapacity: 2, NewInstancesProtectedFromScaleIn: true });
    expect((made?.SuspendedProcesses ?? []).map((p) => p.ProcessName).sort()).toEqual(['AZRebalance', 'ReplaceUnhealthy']);
    expect(made?.Instances?.every((i) => i.ProtectedFromScaleIn)).toBe(true);
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: machines.map((m) => m.machineId) }));
    for (const instance of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({
        'hf:request-id': request.requestId,
        'hf:template-id': 'Int-ASG',
        'hf:provider-name': 'int',
        Name: `hf-int-${request.requestId}`,
        team: 'hpc',
      });
      expect(tags['hf:launch-attempt']).toBeUndefined();
    }
    const view = await provider.describe({ requests: [request], machines: [] });
    expect(view.fulfilment?.get(request.requestId)).toEqual({ state: 'settled' });
  });

  it('keeps a weighted spot MixedInstancesPolicy as asked', async () => {
    const spot: Template = {
      ...template,
      templateId: 'Int-ASG-Spot',
      priceType: 'heterogeneous',
      percentOnDemand: 25,
      vmTypes: { 't3.medium': 1, 't3.large': 2 },
      allocationStrategy: 'capacityOptimized',
      allocationStrategyOnDemand: 'prioritized',
      maxSpotPrice: 0.2,
    };
    const { name } = await launch(3, spot);
    const policy = (await group(name))?.MixedInstancesPolicy;
    expect(policy?.LaunchTemplate?.Overrides).toEqual([
      { InstanceType: 't3.medium', WeightedCapacity: '1' },
      { InstanceType: 't3.large', WeightedCapacity: '2' },
    ]);
    expect(policy?.InstancesDistribution).toMatchObject({
      OnDemandPercentageAboveBaseCapacity: 25,
      SpotAllocationStrategy: 'capacity-optimized',
      OnDemandAllocationStrategy: 'prioritized',
      SpotMaxPrice: '0.2',
    });
  });

  it('tops the same group up on a later attempt instead of making another one', async () => {
    const { request, machines, name } = await launch(2);
    // One machine failed before it was ready: core releases it while the request still runs.
    await provider.release([{ ...(machines[0] as Machine), result: 'fail' }], [request]);
    expect((await group(name))?.DesiredCapacity).toBe(1);
    await provider.acquire({ request, template, count: 1, attempt: 2, deadline: Date.now() + 600_000 });
    await provider.acquire({ request, template, count: 1, attempt: 2, deadline: Date.now() + 600_000 });
    const after = await group(name);
    expect(after?.DesiredCapacity).toBe(2);
    const view = await provider.describe({ requests: [request], machines: [] });
    expect(view.observations.filter((o) => o.state === 'running')).toHaveLength(2);
  });

  it('deletes the group once the machines of a finished request are all released', async () => {
    const { request, machines, name } = await launch(2);
    const done = { ...request, status: 'complete' as const };
    await provider.release([machines[0] as Machine], [done]);
    expect((await group(name))?.DesiredCapacity).toBe(1);
    await provider.release([machines[1] as Machine], [done]);
    expect(await group(name)).toBeUndefined();
    const view = await provider.describe({ requests: [], machines });
    expect(view.observations.every((o) => o.state === 'terminated')).toBe(true);
    // Again: the group is gone, nothing to do.
    await expect(provider.release(machines, [done])).resolves.toBeUndefined();
  });

  it('abandon shrinks the group to what the request keeps, and deletes it when that is nothing', async () => {
    const { request, machines, name } = await launch(3);
    const ended = { ...request, status: 'complete_with_error' as const };
    await provider.abandon(ended, machines.slice(0, 2));
    expect(await group(name)).toMatchObject({ DesiredCapacity: 2, MaxSize: 2 });
    await provider.release(machines, [request]);
    await provider.abandon(ended, []);
    expect(await group(name)).toBeUndefined();
  });

  it('an instance the group scales in by itself shows as terminated through describe; releasing it lowers nothing HF holds', async () => {
    const { request, machines, name } = await launch(2);
    const ids = machines.map((m) => m.machineId);
    // Outside the plugin: protection off and the desired capacity lowered (a person, a policy).
    await asg.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: name, InstanceIds: ids, ProtectedFromScaleIn: false }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }));
    const view = await provider.describe({ requests: [], machines });
    const ended = view.observations.filter((o) => o.state === 'terminated').map((o) => o.machineId);
    const gone = [...ended, ...view.missing];
    expect(gone).toHaveLength(1);
    const reclaimed = machines.find((m) => m.machineId === gone[0]) as Machine;
    await provider.release([reclaimed], [{ ...request, status: 'complete' }]);
    const after = await group(name);
    expect(after?.DesiredCapacity).toBe(1);
    expect(after?.Instances?.map((i) => i.InstanceId)).toEqual(ids.filter((id) => id !== reclaimed.machineId));
  });
});
