import {
  DEFAULT_PROVIDER_SETTINGS,
  GetRequestStatus,
  RequestMachines,
  silentLogger,
  type ProviderSettings,
  type Template,
} from '@open-hostfactory/core';
import {
  FixedClock,
  InMemoryStateStore,
  SequentialIdGenerator,
  StaticCapacityProviders,
  StaticTemplateSource,
  aTemplate,
} from '@open-hostfactory/core/testing';
import { FakeSpotFleetWorld } from '../test/fake-spot-fleet-world';
import { SpotFleetProvider, type LaunchTemplateSource } from './spot-fleet-provider';

// IBM's heterogeneous price type, end to end through core's use cases on a fake Spot Fleet world:
// a Spot Fleet for everything first; when it only partly fills by its expiry, On-Demand for the rest.

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

const launchTemplates: LaunchTemplateSource = {
  ensure: async () => ({ launchTemplateId: 'lt-1', version: '1' }),
  preflight: async () => ({ ref: { launchTemplateId: 'lt-1', version: '1' }, checked: [], problems: [] }),
};

function wire(template: Template, spotCapacity: number) {
  const world = new FakeSpotFleetWorld();
  world.spotCapacity = spotCapacity;
  const clock = new FixedClock(NOW);
  const store = new InMemoryStateStore();
  const provider = new SpotFleetProvider(world.client, launchTemplates, { providerName: 'aws', clock });
  const providers = new StaticCapacityProviders([provider]);
  const templates = new StaticTemplateSource([template]);
  // Two hours to find capacity: the spot part may run its full 40 minutes.
  const settings: ProviderSettings = { ...DEFAULT_PROVIDER_SETTINGS, capacityTimeoutSec: 7200 };
  const requestMachines = new RequestMachines(templates, store, providers, new SequentialIdGenerator(), clock, settings, silentLogger);
  const status = new GetRequestStatus(store, providers, templates, clock, settings, silentLogger);
  const poll = async (requestId: string) => {
    const [report] = await status.execute({ requestIds: [requestId] });
    return report!;
  };
  return { world, clock, requestMachines, poll };
}

const hetero = (overrides: Partial<Template> = {}): Template =>
  aTemplate({
    templateId: 'Hetero',
    providerApi: 'SpotFleet',
    priceType: 'heterogeneous',
    fleetRole: 'arn:aws:iam::123456789012:role/spot-fleet',
    vmType: 'm5.large',
    vmTypes: { 'm5.large': 1 },
    vmTypesOnDemand: { 'c5.large': 1 },
    spotFleetRequestExpiry: 40,
    maxNumber: 10,
    ...overrides,
  });

describe('heterogeneous (IBM): Spot Fleet first, then On-Demand for the rest', () => {
  it('spot fills 2 of 4: the fleet is waited for until its expiry, then cancelled (instances kept) and 2 on-demand c5.large requested', async () => {
    const { world, clock, requestMachines, poll } = wire(hetero(), 2);
    const { request } = await requestMachines.execute({ templateId: 'Hetero', machineCount: 4 });

    const [spotFleet] = [...world.fleets.values()];
    expect(spotFleet).toMatchObject({ target: 4, onDemandTarget: 0, validUntil: new Date(NOW + 40 * MINUTE) });
    let report = await poll(request.requestId);
    expect(report.status).toBe('running');
    expect(report.machines).toHaveLength(2);
    expect(world.fleets.size).toBe(1); // still fulfilling: nothing more asked

    clock.advance(20 * MINUTE);
    await poll(request.requestId);
    expect(world.fleets.size).toBe(1);

    clock.advance(21 * MINUTE); // past the 40-minute expiry: the spot fleet settled short
    await poll(request.requestId);
    expect(world.fleets.size).toBe(2);
    const onDemandFleet = [...world.fleets.values()][1]!;
    expect(onDemandFleet).toMatchObject({ target: 2, onDemandTarget: 2 });
    expect(spotFleet!.state).toBe('cancelled_running');

    report = await poll(request.requestId);
    expect(report.status).toBe('complete');
    const bought = report.machines.map(({ machine }) => [machine.instanceType, machine.priceType]);
    expect(bought.sort()).toEqual([
      ['c5.large', 'ondemand'],
      ['c5.large', 'ondemand'],
      ['m5.large', 'spot'],
      ['m5.large', 'spot'],
    ]);
    expect([...world.instances.values()].every((instance) => instance.state === 'running')).toBe(true);
  });

  it('spot fills everything: no on-demand request is ever made', async () => {
    const { world, clock, requestMachines, poll } = wire(hetero(), 10);
    const { request } = await requestMachines.execute({ templateId: 'Hetero', machineCount: 3 });
    expect((await poll(request.requestId)).status).toBe('complete');
    clock.advance(60 * MINUTE);
    expect((await poll(request.requestId)).status).toBe('complete');
    expect(world.fleets.size).toBe(1);
  });

  it('spot with percentOnDemand (IBM meaning) splits every fleet, and after its expiry tops up with the same split, not on-demand', async () => {
    const { world, clock, requestMachines, poll } = wire(hetero({ priceType: 'spot', vmTypesOnDemand: undefined, percentOnDemand: 25 }), 1);
    const { request } = await requestMachines.execute({ templateId: 'Hetero', machineCount: 4 });
    expect([...world.fleets.values()][0]).toMatchObject({ target: 4, onDemandTarget: 1 });
    expect((await poll(request.requestId)).machines).toHaveLength(2);
    clock.advance(41 * MINUTE);
    await poll(request.requestId);
    expect([...world.fleets.values()].map((fleet) => [fleet.target, fleet.onDemandTarget])).toEqual([
      [4, 1],
      [2, 1], // round(2 x 25 / 100) = 1 on-demand, 1 spot
    ]);
  });
});
