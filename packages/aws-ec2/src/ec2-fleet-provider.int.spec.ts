// Ec2FleetProvider on moto_server: the shapes and cases the contract suite does not cover.
import { DescribeFleetsCommand, DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import type { Request, Template } from '@open-hostfactory/core';
import { aMachine, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient, type MotoNetwork } from '../test/moto';
import { Ec2FleetProvider } from './ec2-fleet-provider';
import { LaunchTemplates } from './launch-templates';
import { tagValue } from './tags';

describe('Ec2FleetProvider on moto_server', () => {
  let client: EC2Client;
  let network: MotoNetwork;
  let provider: Ec2FleetProvider;
  let sequence = 0;
  const providerName = `fleet-int-${Date.now().toString(36)}`;

  beforeAll(async () => {
    client = motoClient();
    network = await createNetwork(client);
    provider = new Ec2FleetProvider(client, new LaunchTemplates(client, { providerName }), { providerName });
  });
  afterAll(() => client.destroy());

  function template(overrides: Partial<Template>): Template {
    return aTemplate({
      templateId: 'Fleet-Int',
      providerApi: 'EC2Fleet',
      imageId: MOTO_AMI,
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
      instanceTags: { team: 'hpc' },
      ...overrides,
    });
  }

  function newRequest(): Request {
    sequence += 1;
    return anAcquireRequest({ requestId: `req-fleet-int-${Date.now().toString(36)}-${sequence}`, templateId: 'Fleet-Int', providerApi: 'EC2Fleet' });
  }

  async function instancesOf(ids: readonly string[]): Promise<Instance[]> {
    const response = await client.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
    return (response.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  }

  async function fleetState(fleetId: string): Promise<string | undefined> {
    const response = await client.send(new DescribeFleetsCommand({ FleetIds: [fleetId] }));
    return response.Fleets?.[0]?.FleetState;
  }

  it('instant on-demand: instances come back at once, tagged with request, template and the template tags', async () => {
    const request = newRequest();
    const result = await provider.acquire({
      request,
      template: template({ fleetType: 'instant' }),
      count: 2,
      attempt: 1,
      deadline: Date.now() + 600_000,
    });
    expect(result.machines).toHaveLength(2);
    expect(result.providerData?.['fleetType']).toBe('instant');
    for (const instance of await instancesOf(result.machines.map((m) => m.machineId))) {
      expect(tagValue(instance.Tags, 'hf:request-id')).toBe(request.requestId);
      expect(tagValue(instance.Tags, 'hf:template-id')).toBe('Fleet-Int');
      expect(tagValue(instance.Tags, 'hf:provider-name')).toBe(providerName);
      expect(tagValue(instance.Tags, 'team')).toBe('hpc');
    }
  });

  it('instant spot: the instances are spot instances', async () => {
    const result = await provider.acquire({
      request: newRequest(),
      template: template({ fleetType: 'instant', priceType: 'spot', allocationStrategy: 'priceCapacityOptimized' }),
      count: 1,
      attempt: 1,
      deadline: Date.now() + 600_000,
    });
    expect(result.machines.map((m) => m.priceType)).toEqual(['spot']);
  });

  it('maintain: no machines at acquire; describe finds the fleet instances, tags them, and they stay found by tag', async () => {
    const request = newRequest();
    const result = await provider.acquire({
      request,
      template: template({ fleetType: 'maintain', vmType: undefined, vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }),
      count: 3,
      attempt: 1,
      deadline: Date.now() + 600_000,
    });
    expect(result.machines).toEqual([]);
    const fleetId = result.providerData?.['fleetIds'] as string;
    expect(fleetId).toMatch(/^fleet-/);
    const held: Request = { ...request, providerData: { ...result.providerData } };

    const view = await provider.describe({ requests: [held], machines: [] });
    const mine = view.observations.filter((o) => o.requestId === request.requestId);
    expect(mine.reduce((units, o) => units + (o.instanceType === 'm5.xlarge' ? 2 : 1), 0)).toBeGreaterThanOrEqual(3);
    expect(view.fulfilment?.get(request.requestId)).toEqual({ state: 'settled' });
    for (const instance of await instancesOf(mine.map((o) => o.machineId))) {
      expect(tagValue(instance.Tags, 'hf:request-id')).toBe(request.requestId);
      expect(tagValue(instance.Tags, 'Name')).toBe(`hf-${providerName}-${request.requestId}`);
      expect(tagValue(instance.Tags, 'team')).toBe('hpc');
    }

    // Found by the request tag alone (crash recovery), without the fleet id.
    const byTag = await provider.describe({ requests: [request], machines: [] });
    expect(byTag.observations.map((o) => o.machineId).sort()).toEqual(mine.map((o) => o.machineId).sort());

    // A reclaim: an instance terminated outside shows as ended.
    const victim = mine[0]!.machineId;
    await client.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));
    const after = await provider.describe({
      requests: [],
      machines: [aMachine({ machineId: victim, requestId: request.requestId, templateId: 'Fleet-Int', providerApi: 'EC2Fleet' })],
    });
    const seen = after.observations.find((o) => o.machineId === victim);
    expect(seen?.state ?? (after.missing.includes(victim) ? 'missing' : 'unseen')).toMatch(/^(terminated|missing)$/);
  });

  it('request: abandon deletes the fleet without terminating its instances', async () => {
    const request = newRequest();
    const result = await provider.acquire({
      request,
      template: template({ fleetType: 'request', priceType: 'spot' }),
      count: 2,
      attempt: 1,
      deadline: Date.now() + 600_000,
    });
    const held: Request = { ...request, providerData: { ...result.providerData } };
    const view = await provider.describe({ requests: [held], machines: [] });
    const ids = view.observations.map((o) => o.machineId);
    expect(ids).toHaveLength(2);

    await provider.abandon(held, []);
    await provider.abandon(held, []);
    expect(await fleetState(result.providerData?.['fleetIds'] as string)).toBe('deleted_running');
    expect((await instancesOf(ids)).map((i) => i.State?.Name)).toEqual(['running', 'running']);
    expect((await provider.describe({ requests: [held], machines: [] })).fulfilment?.get(request.requestId)).toEqual({ state: 'settled' });
  });
});
