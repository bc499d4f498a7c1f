import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aMachine, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import type { Template } from '@open-hostfactory/core';
import { MOTO_AMI, createNetwork, motoClient, type MotoNetwork } from '../test/moto';
import { RunInstancesProvider } from './run-instances-provider';

// moto 5 notes: RunInstances launches MinCount instances only (1 here) and does NOT honour
// ClientToken (a repeated token launches again), so idempotence per (request, attempt) is
// covered by the unit tests with a fake client.

describe('RunInstancesProvider against moto_server', () => {
  let client: EC2Client;
  let network: MotoNetwork;
  let template: Template;
  let provider: RunInstancesProvider;
  let sequence = 0;

  const newRequest = (machineCount = 3) => anAcquireRequest({ requestId: `req-int-${Date.now()}-${++sequence}`, machineCount });

  beforeAll(async () => {
    client = motoClient();
    network = await createNetwork(client);
    template = aTemplate({
      imageId: MOTO_AMI,
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
      instanceTags: { team: 'hpc', project: 'risk' },
      rootDeviceVolumeSize: 20,
      volumeType: 'gp3',
    });
    provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
  });

  afterAll(() => client.destroy());

  it('acquires 3 machines over 3 attempts: 3 distinct tagged instances in rotating subnets', async () => {
    const request = newRequest(3);
    const launched = [];
    for (const attempt of [1, 2, 3]) {
      const remaining = 3 - launched.length;
      const result = await provider.acquire({ request, template, count: remaining, attempt, deadline: Date.now() + 600_000 });
      launched.push(...result.machines);
      if (result.machines.length < remaining) expect(result.shortfallReason).toContain(`of ${remaining}`);
    }
    expect(new Set(launched.map((m) => m.machineId)).size).toBe(3);
    for (const machine of launched) {
      expect(machine).toMatchObject({
        requestId: request.requestId,
        templateId: template.templateId,
        instanceType: 't3.medium',
        priceType: 'ondemand',
      });
      expect(machine.machineId).toMatch(/^i-/);
      expect(machine.privateIpAddress).toMatch(/^10\.20\./);
      expect(machine.name).toBeTruthy();
      expect(Number.isInteger(machine.launchTime)).toBe(true);
      expect(['pending', 'running']).toContain(machine.state);
    }

    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: launched.map((m) => m.machineId) }));
    const instances = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances).toHaveLength(3);
    for (const instance of instances) {
      const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({
        'hf:request-id': request.requestId,
        'hf:template-id': template.templateId,
        'hf:provider-name': 'awsinst',
        Name: `hf-awsinst-${request.requestId}`,
        team: 'hpc',
        project: 'risk',
      });
      expect(instance.SecurityGroups?.map((g) => g.GroupId)).toContain(network.securityGroupId);
    }
    // Attempts 1, 2, 3 rotate over the two subnets.
    const subnetOf = new Map(instances.map((i) => [i.InstanceId, i.SubnetId]));
    expect(launched.map((m) => subnetOf.get(m.machineId))).toEqual([network.subnetIds[0], network.subnetIds[1], network.subnetIds[0]]);
  });

  it('describes instances by request tag and by id, and reports missing ids', async () => {
    const request = newRequest(1);
    const other = newRequest(1);
    const [mine] = (await provider.acquire({ request, template, count: 1, attempt: 1, deadline: Date.now() + 600_000 })).machines;
    const [theirs] = (await provider.acquire({ request: other, template, count: 1, attempt: 1, deadline: Date.now() + 600_000 })).machines;

    const byRequest = await provider.describe({ requests: [request], machines: [] });
    expect(byRequest.observations.map((o) => o.machineId)).toEqual([mine!.machineId]);
    expect(byRequest.observations[0]).toMatchObject({ requestId: request.requestId, templateId: template.templateId });

    const byId = await provider.describe({
      requests: [request],
      machines: [
        aMachine({ machineId: mine!.machineId }),
        aMachine({ machineId: theirs!.machineId, requestId: other.requestId }),
        aMachine({ machineId: 'i-0123456789abcdef0' }),
      ],
    });
    expect(byId.observations.map((o) => o.machineId).sort()).toEqual([mine!.machineId, theirs!.machineId].sort());
    expect(byId.missing).toEqual(['i-0123456789abcdef0']);
    const observed = byId.observations.find((o) => o.machineId === theirs!.machineId)!;
    expect(observed).toMatchObject({ requestId: other.requestId, instanceType: 't3.medium' });
    expect(observed.name).toMatch(/ec2\.internal$/);
  });

  it('over 200 ids the tag query does not return: described by InstanceIds, an id moto no longer knows left out', async () => {
    const ids: string[] = [];
    for (const subnetId of network.subnetIds) {
      const launched = await client.send(
        new RunInstancesCommand({ ImageId: MOTO_AMI, InstanceType: 't3.micro', MinCount: 105, MaxCount: 105, SubnetId: subnetId }),
      );
      ids.push(...(launched.Instances ?? []).map((instance) => instance.InstanceId!));
    }
    const actions: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        actions.push(`${context.commandName}${(args.input as { InstanceIds?: string[] }).InstanceIds ? ':ids' : ':filter'}`);
        return next(args);
      },
      { step: 'initialize', name: 'countDescribes' },
    );
    try {
      const unknown = 'i-0fedcba9876543210';
      const view = await provider.describe({ requests: [newRequest(1)], machines: [...ids, unknown].map((machineId) => aMachine({ machineId })) });
      expect(view.observations).toHaveLength(210);
      expect(view.missing).toEqual([unknown]);
      // The tag query, then InstanceIds: refused for the unknown id, asked again without it.
      expect(actions).toEqual(['DescribeInstancesCommand:filter', 'DescribeInstancesCommand:ids', 'DescribeInstancesCommand:ids']);
    } finally {
      client.middlewareStack.remove('countDescribes');
      await client.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    }
  });

  it('finds nothing for a request that launched nothing', async () => {
    const result = await provider.describe({ requests: [newRequest(1)], machines: [] });
    expect(result).toEqual({ observations: [], missing: [] });
  });

  it('releases machines, and releasing them again or unknown ids is fine', async () => {
    const request = newRequest(2);
    const first = (await provider.acquire({ request, template, count: 1, attempt: 1, deadline: Date.now() + 600_000 })).machines;
    const second = (await provider.acquire({ request, template, count: 1, attempt: 2, deadline: Date.now() + 600_000 })).machines;
    const machines = [...first, ...second].map((o) => aMachine({ machineId: o.machineId, requestId: request.requestId }));

    await provider.release(machines);
    const afterRelease = await provider.describe({ requests: [], machines });
    expect(afterRelease.observations).toHaveLength(2);
    for (const observation of afterRelease.observations) {
      expect(['shutting-down', 'terminated']).toContain(observation.state);
    }

    await expect(
      provider.release([...machines, aMachine({ machineId: 'i-0123456789abcdef0' }), aMachine({ machineId: 'i-00000000000000001' })]),
    ).resolves.toBeUndefined();
  });

  it('launches spot instances for spot templates', async () => {
    const request = newRequest(1);
    const spot = { ...template, priceType: 'spot' as const, maxSpotPrice: 0.1 };
    const [machine] = (await provider.acquire({ request, template: spot, count: 1, attempt: 1, deadline: Date.now() + 600_000 })).machines;
    expect(machine!.priceType).toBe('spot');
  });

  it('maps a bad subnet to TEMPLATE_INVALID', async () => {
    const bad = { ...template, subnetIds: ['subnet-0000000000000dead'] };
    await expect(
      provider.acquire({ request: newRequest(1), template: bad, count: 1, attempt: 1, deadline: Date.now() + 600_000 }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
    });
  });
});
