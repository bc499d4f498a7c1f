/// <reference types="jest" />
import { isEndedState, newMachine, type Machine, type MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import { instanceWeight, templateInstanceTypes, type Template } from '../domain/template/template';
import type { CapacityProvider, Fulfilment } from '../ports/capacity-provider';
import { aMachine, anAcquireRequest } from './builders';

/** A fresh provider for one contract test, a template it launches, and the hooks the suite needs. */
export interface CapacityProviderUnderTest {
  readonly provider: CapacityProvider;
  /** A template the provider can launch; the suite asks for 2 capacity units of it. */
  readonly template: Template;
  /** Terminates an instance behind the provider's back (the console, the cloud reclaiming it). */
  readonly terminateOutside: (machineId: string) => Promise<void>;
  /** Lets pending instances boot, when the cloud does not by itself. */
  readonly boot?: () => Promise<void>;
  /** Removes what the test made. */
  readonly cleanup?: () => Promise<void>;
}

/** How the contract suite drives a provider. */
export interface CapacityProviderContractOptions {
  /** Describe polls allowed for capacity to show up (fleets and groups fill over time). */
  readonly polls?: number;
  readonly pollIntervalMs?: number;
  /**
   * True when the cloud guarantees that repeating a (request, attempt) launches nothing more.
   * moto ignores EC2's ClientToken, so suites on moto leave it off and the adapter proves
   * idempotence in its unit tests; the test is then not registered.
   */
  readonly idempotentTokens?: boolean;
  /**
   * False for a provider without `inventory`, `dispose` and `lookup` (the orphan sweep then
   * cannot see it); their tests are then not registered. Default true.
   */
  readonly inventory?: boolean;
}

interface Acquired {
  readonly request: Request;
  readonly machines: Machine[];
}

/**
 * The behaviour every {@link CapacityProvider} must show, driven the way core drives it: launch,
 * poll `describe` (launching again with the next attempt only while the provider says the cloud
 * is not filling by itself), release. Call it from an adapter's spec with a fresh provider per
 * test: `describeCapacityProviderContract('RunInstances on moto', async () => ({ ... }))`.
 */
export function describeCapacityProviderContract(
  name: string,
  makeProvider: () => Promise<CapacityProviderUnderTest>,
  options: CapacityProviderContractOptions = {},
): void {
  const polls = options.polls ?? 10;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  let sequence = 0;

  describe(`CapacityProvider contract: ${name}`, () => {
    let sut: CapacityProviderUnderTest;

    beforeEach(async () => {
      sut = await makeProvider();
    });

    afterEach(async () => {
      await sut.cleanup?.();
    });

    const newRequest = (machineCount: number): Request => {
      sequence += 1;
      const stamp = `${Date.now().toString(16)}-${sequence}`;
      return anAcquireRequest({
        requestId: `req-contract-${stamp}`,
        templateId: sut.template.templateId,
        providerApi: sut.template.providerApi,
        machineCount,
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
    };

    const toMachine = (request: Request, o: MachineObservation): Machine =>
      newMachine(
        o,
        {
          requestId: request.requestId,
          templateId: sut.template.templateId,
          providerApi: sut.provider.api,
          instanceTags: '',
          weights: sut.template.vmTypes,
        },
        { now: Date.now(), pendingTimeoutSec: 0 },
      );

    /** Launches `units` for a new request and polls until the cloud shows them all. */
    const acquire = async (units: number): Promise<Acquired> => {
      let request = newRequest(units);
      const deadline = Date.now() + 600_000;
      const seen = new Map<string, MachineObservation>();
      let attempt = 1;
      let result = await sut.provider.acquire({ request, template: sut.template, count: units, attempt, deadline });
      request = { ...request, providerData: { ...request.providerData, ...(result.providerData ?? {}) } };
      for (const o of result.machines) seen.set(o.machineId, o);
      for (let poll = 0; poll < polls; poll++) {
        await sut.boot?.();
        const view = await sut.provider.describe({ requests: [request], machines: [] });
        for (const o of view.observations) if (o.requestId === request.requestId) seen.set(o.machineId, o);
        const have = [...seen.values()].reduce((sum, o) => sum + instanceWeight(sut.template, o.instanceType), 0);
        if (have >= units) break;
        const fulfilment: Fulfilment | undefined = view.fulfilment?.get(request.requestId);
        if (fulfilment?.state !== 'fulfilling') {
          attempt += 1;
          result = await sut.provider.acquire({ request, template: sut.template, count: units - have, attempt, deadline });
          request = { ...request, providerData: { ...request.providerData, ...(result.providerData ?? {}) } };
          for (const o of result.machines) seen.set(o.machineId, o);
        }
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
      return { request, machines: [...seen.values()].map((o) => toMachine(request, o)) };
    };

    const look = async (request: Request, machines: readonly Machine[]): Promise<Map<string, MachineObservation | 'missing'>> => {
      const view = await sut.provider.describe({ requests: [], machines });
      const states = new Map<string, MachineObservation | 'missing'>();
      for (const o of view.observations) states.set(o.machineId, o);
      for (const id of view.missing) states.set(id, 'missing');
      void request;
      return states;
    };

    const endedOrMissing = (state: MachineObservation | 'missing' | undefined): boolean =>
      state === 'missing' || (state !== undefined && isEndedState(state.state));

    it('launches the asked capacity; every instance carries its request and template', async () => {
      const { request, machines } = await acquire(2);
      const units = machines.reduce((sum, m) => sum + m.weight, 0);
      expect(units).toBeGreaterThanOrEqual(2);
      const types = templateInstanceTypes(sut.template);
      for (const machine of machines) {
        expect(machine.requestId).toBe(request.requestId);
        expect(machine.machineId).toMatch(/\S/);
        if (types.length > 0) expect(types).toContain(machine.instanceType);
        expect(machine.launchTime).toBeGreaterThan(0);
      }
      const view = await sut.provider.describe({ requests: [request], machines: [] });
      const tagged = view.observations.filter((o) => o.requestId === request.requestId);
      expect(tagged.map((o) => o.machineId).sort()).toEqual(machines.map((m) => m.machineId).sort());
      expect(tagged.every((o) => o.templateId === sut.template.templateId)).toBe(true);
    });

    it('tells the instances of two requests apart', async () => {
      const first = await acquire(1);
      const second = await acquire(1);
      const view = await sut.provider.describe({ requests: [first.request], machines: [] });
      const ids = view.observations.filter((o) => o.requestId === first.request.requestId).map((o) => o.machineId);
      expect(ids.sort()).toEqual(first.machines.map((m) => m.machineId).sort());
      for (const machine of second.machines) expect(ids).not.toContain(machine.machineId);
    });

    it('reports asked machines that the cloud does not know as missing', async () => {
      const ghost = aMachine({ machineId: 'i-0000000000000dead', providerApi: sut.provider.api });
      const view = await sut.provider.describe({ requests: [], machines: [ghost] });
      expect(view.missing).toContain(ghost.machineId);
      expect(view.observations.map((o) => o.machineId)).not.toContain(ghost.machineId);
    });

    it('releases machines so the cloud ends them and does not replace them; releasing again is fine', async () => {
      const { request, machines } = await acquire(2);
      await sut.provider.release(machines, [request]);
      const after = await look(request, machines);
      for (const machine of machines) expect(endedOrMissing(after.get(machine.machineId))).toBe(true);
      await expect(sut.provider.release(machines, [request])).resolves.toBeUndefined();
      // Nothing new is started for the request in place of what was released.
      await sut.boot?.();
      const view = await sut.provider.describe({ requests: [request], machines: [] });
      const alive = view.observations.filter((o) => o.requestId === request.requestId && !isEndedState(o.state));
      expect(alive).toEqual([]);
    });

    it('releasing a machine the cloud no longer knows is not an error', async () => {
      const { request, machines } = await acquire(1);
      const ghost = aMachine({ machineId: 'i-0000000000000dead', requestId: request.requestId, providerApi: sut.provider.api });
      await expect(sut.provider.release([...machines, ghost], [request])).resolves.toBeUndefined();
    });

    it('shows an instance terminated behind its back as ended or missing (a reclaim)', async () => {
      const { request, machines } = await acquire(1);
      const victim = machines[0] as Machine;
      await sut.terminateOutside(victim.machineId);
      const after = await look(request, [victim]);
      expect(endedOrMissing(after.get(victim.machineId))).toBe(true);
    });

    it('replays an attempt whose caller died: it finds what the attempt made and makes nothing more', async () => {
      const request = newRequest(1);
      const deadline = Date.now() + 600_000;
      const first = await sut.provider.acquire({ request, template: sut.template, count: 1, attempt: 1, deadline });
      // The caller died before storing what `first` answered: the replay starts from the request as stored.
      const again = await sut.provider.acquire({ request, template: sut.template, count: 1, attempt: 1, deadline, replay: true });
      const known = { ...request, providerData: { ...request.providerData, ...(first.providerData ?? {}), ...(again.providerData ?? {}) } };
      const seen = new Set([...first.machines, ...again.machines].map((o) => o.machineId));
      for (let poll = 0; poll < polls; poll++) {
        await sut.boot?.();
        const view = await sut.provider.describe({ requests: [known], machines: [] });
        for (const o of view.observations) if (o.requestId === request.requestId) seen.add(o.machineId);
        if (seen.size > 0 && view.fulfilment?.get(request.requestId)?.state !== 'fulfilling') break;
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
      expect(seen.size).toBe(1);
      if (sut.provider.inventory) {
        const inventory = await sut.provider.inventory();
        expect(inventory.holders.filter((h) => h.requestId === request.requestId).length).toBeLessThanOrEqual(1);
      }
    });

    const sweepable = options.inventory === false ? undefined : it;
    sweepable?.('lists everything it made for a request in its inventory, by its tags', async () => {
      const { request, machines } = await acquire(2);
      expect(sut.provider.inventory).toBeDefined();
      const inventory = await sut.provider.inventory!();
      const listed = new Set(inventory.instances.map((o) => o.machineId));
      for (const holder of inventory.holders.filter((h) => h.requestId === request.requestId)) {
        for (const id of holder.instanceIds) listed.add(id);
      }
      for (const machine of machines) expect(listed.has(machine.machineId)).toBe(true);
      expect(inventory.instances.every((o) => o.state !== 'terminated' && o.state !== 'shutting-down')).toBe(true);
    });

    sweepable?.('gives back all a request holds: its holders disposed with their instances, its other instances released', async () => {
      const { request, machines } = await acquire(2);
      const inventory = await sut.provider.inventory!();
      const holders = inventory.holders.filter((h) => h.requestId === request.requestId);
      if (holders.length > 0) await sut.provider.dispose!(holders);
      const inHolders = new Set(holders.flatMap((h) => h.instanceIds));
      await sut.provider.release(
        machines.filter((m) => !inHolders.has(m.machineId)),
        [request],
      );
      const after = await look(request, machines);
      for (const machine of machines) expect(endedOrMissing(after.get(machine.machineId))).toBe(true);
      const again = await sut.provider.inventory!();
      expect(again.holders.filter((h) => h.requestId === request.requestId)).toEqual([]);
      if (holders.length > 0) await expect(sut.provider.dispose!(holders)).resolves.toBeUndefined(); // idempotent
    });

    sweepable?.('looks its own instances up by id, whatever the store knows', async () => {
      const { machines } = await acquire(1);
      const ids = machines.map((m) => m.machineId);
      const found = await sut.provider.lookup!([...ids, 'i-0000000000000dead']);
      expect(found.map((o) => o.machineId).sort()).toEqual([...ids].sort());
    });

    const idempotent = options.idempotentTokens ? it : undefined;
    idempotent?.('never launches twice for the same (request, attempt)', async () => {
      const request = newRequest(1);
      const deadline = Date.now() + 600_000;
      const first = await sut.provider.acquire({ request, template: sut.template, count: 1, attempt: 1, deadline });
      const again = await sut.provider.acquire({ request, template: sut.template, count: 1, attempt: 1, deadline });
      await sut.boot?.();
      const view = await sut.provider.describe({ requests: [request], machines: [] });
      const launched = new Set([...first.machines, ...again.machines, ...view.observations].map((o) => o.machineId));
      expect(launched.size).toBeLessThanOrEqual(1);
    });
  });
}
