// SpotFleetProvider against moto_server: what moto 5.2.1 shows of a spot fleet (launched at once,
// from the first override only, all spot; no ActivityStatus, no fleet history).
import {
  DescribeInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type SpotFleetRequestConfig,
} from '@aws-sdk/client-ec2';
import type { Machine, MachineObservation, Request, Template } from '@open-hostfactory/core';
import { aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { newMachine } from '@open-hostfactory/core';
import { MOTO_AMI, createNetwork, motoClient } from '../test/moto';
import { LaunchTemplates } from './launch-templates';
import { SpotFleetProvider } from './spot-fleet-provider';
import { TAG_PROVIDER_NAME, TAG_REQUEST_ID, TAG_TEMPLATE_ID } from '@open-hostfactory/core';
import { tagValue } from './tags';

const FLEET_ROLE = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';
let sequence = 0;

describe('SpotFleetProvider on moto_server', () => {
  let client: EC2Client;
  let provider: SpotFleetProvider;
  let template: Template;
  let providerName: string;

  beforeAll(async () => {
    client = motoClient();
    const network = await createNetwork(client);
    providerName = `int-sf-${Date.now().toString(36)}`;
    provider = new SpotFleetProvider(client, new LaunchTemplates(client, { providerName }), { providerName });
    template = aTemplate({
      templateId: 'Int-SpotFleet',
      providerApi: 'SpotFleet',
      priceType: 'spot',
      imageId: MOTO_AMI,
      vmType: 'm5.large',
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
      fleetRole: FLEET_ROLE,
      allocationStrategy: 'capacityOptimized',
      instanceTags: { team: 'hpc' },
    });
  });

  afterAll(() => client.destroy());

  const newRequest = (machineCount: number): Request => {
    sequence += 1;
    return anAcquireRequest({
      requestId: `req-sf-int-${Date.now().toString(16)}-${sequence}`,
      templateId: template.templateId,
      providerApi: 'SpotFleet',
      machineCount,
      createdAt: Date.now(),
    });
  };

  const launch = async (units: number, fields: Partial<Template> = {}, attempt = 1, base?: Request): Promise<Request> => {
    const request = base ?? newRequest(units);
    const result = await provider.acquire({ request, template: { ...template, ...fields }, count: units, attempt, deadline: Date.now() + 3_600_000 });
    expect(result.machines).toEqual([]);
    return { ...request, providerData: { ...request.providerData, ...(result.providerData ?? {}) } };
  };

  const fleet = async (fleetId: string): Promise<SpotFleetRequestConfig> => {
    const response = await client.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [fleetId] }));
    return response.SpotFleetRequestConfigs?.[0] as SpotFleetRequestConfig;
  };

  const machinesOf = (request: Request, observations: readonly MachineObservation[]): Machine[] =>
    observations
      .filter((o) => o.requestId === request.requestId)
      .map((o) =>
        newMachine(
          o,
          { requestId: request.requestId, templateId: template.templateId, providerApi: 'SpotFleet', instanceTags: 'team=hpc' },
          {
            now: Date.now(),
            pendingTimeoutSec: 0,
          },
        ),
      );

  it('requests a tagged spot fleet; describe finds its instances, tags them with the request and says it settled', async () => {
    const request = await launch(2);
    const fleetId = request.providerData['spotFleetRequestId'] as string;
    expect(fleetId).toMatch(/^sfr-/);
    const described = await fleet(fleetId);
    expect(tagValue(described.Tags, TAG_REQUEST_ID)).toBe(request.requestId);
    expect(described.SpotFleetRequestConfig?.TargetCapacity).toBe(2);

    const view = await provider.describe({ requests: [request], machines: [] });
    const mine = view.observations.filter((o) => o.requestId === request.requestId);
    expect(mine).toHaveLength(2);
    expect(mine.every((o) => o.instanceType === 'm5.large' && o.priceType === 'spot')).toBe(true);
    expect(view.fulfilment?.get(request.requestId)).toEqual({ state: 'settled' });

    // The request tags are on the instances themselves now: a plain tag lookup finds them.
    const tagged = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG_REQUEST_ID}`, Values: [request.requestId] }] }));
    const instances = (tagged.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances.map((i) => i.InstanceId).sort()).toEqual(mine.map((o) => o.machineId).sort());
    for (const instance of instances) {
      expect(tagValue(instance.Tags, TAG_TEMPLATE_ID)).toBe(template.templateId);
      expect(tagValue(instance.Tags, TAG_PROVIDER_NAME)).toBe(providerName);
      expect(tagValue(instance.Tags, 'team')).toBe('hpc');
    }
  });

  it('maintain: a partial release lowers the target before terminating; returning the rest cancels the fleet with them in one call', async () => {
    const request = await launch(3, { fleetType: 'maintain' });
    const fleetId = request.providerData['spotFleetRequestId'] as string;
    const machines = machinesOf(request, (await provider.describe({ requests: [request], machines: [] })).observations);
    expect(machines).toHaveLength(3);

    await provider.release([machines[0] as Machine], [request]);
    let described = await fleet(fleetId);
    expect(described.SpotFleetRequestConfig?.TargetCapacity).toBe(2);
    expect(described.SpotFleetRequestState).toBe('active');
    // moto did not pick instances of its own to end (noTermination): the other two still run.
    const view = await provider.describe({ requests: [request], machines });
    const alive = view.observations.filter((o) => o.requestId === request.requestId && o.state === 'running');
    expect(alive.map((o) => o.machineId).sort()).toEqual([machines[1], machines[2]].map((m) => (m as Machine).machineId).sort());

    await provider.release(machines, [request]);
    // Cancelled with its instances (moto drops such a request from its listings at once).
    described = await fleet(fleetId);
    expect(described === undefined || String(described.SpotFleetRequestState).startsWith('cancelled')).toBe(true);
    const after = await provider.describe({ requests: [], machines });
    expect(after.observations.filter((o) => !['shutting-down', 'terminated'].includes(o.state))).toEqual([]);
    await expect(provider.release(machines, [request])).resolves.toBeUndefined();
  });

  it('reclaim: an instance the cloud takes shows as ended, and the others are untouched', async () => {
    const request = await launch(2, { fleetType: 'maintain' });
    const machines = machinesOf(request, (await provider.describe({ requests: [request], machines: [] })).observations);
    const [victim, survivor] = machines as [Machine, Machine];
    await client.send(new TerminateInstancesCommand({ InstanceIds: [victim.machineId] }));
    const view = await provider.describe({ requests: [request], machines });
    const byId = new Map(view.observations.map((o) => [o.machineId, o]));
    const seen = byId.get(victim.machineId);
    const ended = seen === undefined ? view.missing.includes(victim.machineId) : ['shutting-down', 'terminated'].includes(seen.state);
    expect(ended).toBe(true);
    expect(byId.get(survivor.machineId)?.state).toBe('running');
  });

  it('abandon cancels the fleet and keeps its instances running; a repeat is fine', async () => {
    const request = await launch(2);
    const fleetId = request.providerData['spotFleetRequestId'] as string;
    const machines = machinesOf(request, (await provider.describe({ requests: [request], machines: [] })).observations);
    await provider.abandon(request, machines);
    expect((await fleet(fleetId)).SpotFleetRequestState).toBe('cancelled_running');
    await expect(provider.abandon(request, machines)).resolves.toBeUndefined();
    const view = await provider.describe({ requests: [], machines });
    expect(view.observations.map((o) => o.state)).toEqual(['running', 'running']);
    expect(view.fulfilment?.size).toBe(0);
    await provider.release(machines, [request]);
  });

  it('a next attempt requests a new fleet and cancels the earlier one, whose instances stay', async () => {
    const first = await launch(1);
    const firstFleet = first.providerData['spotFleetRequestId'] as string;
    const second = await launch(1, {}, 2, first);
    const secondFleet = second.providerData['spotFleetRequestId'] as string;
    expect(secondFleet).not.toBe(firstFleet);
    expect(second.providerData['spotFleetRequestIds']).toBe(`${firstFleet},${secondFleet}`);
    expect((await fleet(firstFleet)).SpotFleetRequestState).toBe('cancelled_running');
    expect((await fleet(secondFleet)).SpotFleetRequestState).toBe('active');
    const view = await provider.describe({ requests: [second], machines: [] });
    expect(view.observations.filter((o) => o.requestId === first.requestId && o.state === 'running')).toHaveLength(2);
  });

  it('a template without fleetRole fails with TEMPLATE_INVALID before any fleet is requested', async () => {
    await expect(
      provider.acquire({
        request: newRequest(1),
        template: { ...template, fleetRole: undefined },
        count: 1,
        attempt: 1,
        deadline: Date.now() + 60_000,
      }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
  });
});
