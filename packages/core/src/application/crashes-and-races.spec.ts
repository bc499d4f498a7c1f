// Crash, race and leak behaviour of the use cases on in-memory fakes: one launch per attempt
// whatever polls overlap, replays of attempts whose caller died, atomic admission, requests HF
// never learnt of, the orphan sweep, returns of machines the store forgot, returns that never take.
import { HostFactoryError } from '../errors';
import type { Machine } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProcessIdentity } from '../ports/process-identity';
import { aTemplate, anAcquireRequest, anObservation } from '../testing/builders';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { SequentialIdGenerator } from '../testing/fakes';
import { silentLogger } from '../ports/logger';
import { harness } from './harness.spec-util';
import { RequestReturnMachines } from './request-return-machines';

const alive = (h: ReturnType<typeof harness>): string[] =>
  [...h.cloud.instances.values()]
    .filter((i) => i.observation.state === 'pending' || i.observation.state === 'running')
    .map((i) => i.observation.machineId);

async function pollUntilSettled(h: ReturnType<typeof harness>, requestId: string, polls = 10): Promise<string> {
  let status = 'running';
  for (let i = 0; i < polls && status === 'running'; i++) {
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [requestId] });
    status = report?.status ?? 'missing';
  }
  return status;
}

describe('one launch per attempt, whatever polls overlap', () => {
  it.each([2, 8, 16])('%i polls while a slow top-up is in flight launch nothing more; the request gets exactly what it asked', async (polls) => {
    const h = harness({ templates: [aTemplate({ maxNumber: 3 })], launchLimit: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    h.cloud.setAll('pending', 'running');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    h.cloud.onAcquire = async () => gate;
    const first = h.getRequestStatus.execute({ requestIds: [request.requestId] });
    for (let i = 0; i < 50 && h.cloud.count('acquire') < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(h.cloud.count('acquire')).toBe(2); // the top-up is in flight, held at the cloud
    await Promise.all(Array.from({ length: polls }, () => h.getRequestStatus.execute({ requestIds: [request.requestId] })));
    expect(h.cloud.count('acquire')).toBe(2);
    open();
    await first;
    h.cloud.onAcquire = undefined;
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    expect(alive(h)).toHaveLength(3);
    expect(h.cloud.instances.size).toBe(3);
  });

  it('replays the attempt of a caller that died: same attempt, same count, flagged as a replay; nothing launched twice', async () => {
    const identity: ProcessIdentity = { self: 'me', mayBeAlive: (holder) => holder !== 'dead' };
    const h = harness({ templates: [aTemplate({ maxNumber: 3 })], launchLimit: 1, identity });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // attempt 2 brings one more
    // A poll claims attempt 3 for the last machine, launches it, and is killed before it records it.
    const [stored] = await h.store.getRequests([request.requestId]);
    const claimed = { ...stored!, launchAttempts: 3, launchLease: { until: h.clock.now() + 300_000, holder: 'dead', count: 1 } };
    await h.store.write({ requests: [claimed] });
    await h.cloud.acquire({ request: claimed, template: aTemplate({ maxNumber: 3 }), count: 1, attempt: 3, deadline: Number.MAX_SAFE_INTEGER });
    h.cloud.launchLimit = 0; // a replay that launched again would show as a missing machine, not an extra one
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete'); // the dead call's instance is adopted by its tag
    expect(h.cloud.instances.size).toBe(3);
    const [after] = await h.store.getRequests([request.requestId]);
    expect(after?.launchLease).toBeUndefined();
  });

  it('a dead caller whose attempt is still short is replayed with its own count and token', async () => {
    const identity: ProcessIdentity = { self: 'me', mayBeAlive: (holder) => holder !== 'dead' };
    const h = harness({ templates: [aTemplate({ maxNumber: 5 })], launchLimit: 1, identity });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    const [stored] = await h.store.getRequests([request.requestId]);
    await h.store.write({ requests: [{ ...stored!, launchAttempts: 2, launchLease: { until: h.clock.now() + 300_000, holder: 'dead', count: 2 } }] });
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    const replay = h.cloud.calls.filter((c) => c.op === 'acquire')[1]?.input;
    expect(replay).toMatchObject({ attempt: 2, count: 2, replay: true });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    expect(h.cloud.instances.size).toBe(3);
  });

  it('a live lease of another process is waited out, however many polls come', async () => {
    const h = harness({ launchLimit: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    const [stored] = await h.store.getRequests([request.requestId]);
    await h.store.write({ requests: [{ ...stored!, launchAttempts: 2, launchLease: { until: h.clock.now() + 60_000, holder: 'other', count: 1 } }] });
    h.cloud.setAll('pending', 'running');
    for (let i = 0; i < 5; i++) await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(h.cloud.count('acquire')).toBe(1);
    h.clock.advance(60_001); // the lease ends: the attempt is replayed
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(h.cloud.calls.filter((c) => c.op === 'acquire')[1]?.input).toMatchObject({ attempt: 2, replay: true });
  });

  it('a top-up re-checks maxNumber: lowered while the request runs, it launches only what fits', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 3 })], launchLimit: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    h.templates.templates = [aTemplate({ maxNumber: 1 })];
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(h.cloud.count('acquire')).toBe(1);
    expect(alive(h)).toHaveLength(1);
  });
});

describe('atomic admission', () => {
  it.each([
    [16, 8],
    [5, 8],
    [8, 8],
  ])('%i concurrent requests of 1 against %i free: exactly min(N, F) admitted', async (n, free) => {
    const h = harness({ templates: [aTemplate({ maxNumber: free })] });
    const results = await Promise.allSettled(
      Array.from({ length: n }, () => h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 })),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as HostFactoryError).code);
    expect(accepted).toHaveLength(Math.min(n, free));
    expect(refused).toEqual(Array.from({ length: Math.max(0, n - free) }, () => 'MAX_NUMBER_EXCEEDED'));
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(Math.max(0, free - n));
  });
});

describe('requests HF never learnt of', () => {
  it('HF first poll is recorded', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    expect(request.firstPolledAt).toBeUndefined();
    h.clock.advance(5_000);
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect((await h.store.getRequests([request.requestId]))[0]?.firstPolledAt).toBe(h.clock.now());
  });

  it('end as orphans after the orphan timeout: capacity given back, quota freed; polled ones are never touched', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 4 })] });
    const lost = (await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 })).request;
    const kept = (await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 })).request;
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [kept.requestId] });
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(0);
    h.clock.advance(h.settings.orphanTimeoutSec * 1000);
    const report = await h.sweep.run();
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'request', id: lost.requestId, action: 'given back' }));
    const [ended] = await h.store.getRequests([lost.requestId]);
    expect(ended).toMatchObject({ status: 'complete_with_error' });
    expect(ended?.message).toContain('Orphan');
    const machines = await h.store.getMachines({ requestIds: [lost.requestId, kept.requestId] });
    const byRequest = (id: string): Machine[] => machines.filter((m) => m.requestId === id);
    for (const m of byRequest(lost.requestId)) expect(h.cloud.instances.get(m.machineId)?.observation.state).toBe('shutting-down');
    for (const m of byRequest(kept.requestId)) expect(h.cloud.instances.get(m.machineId)?.observation.state).toBe('running');
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(2);
  });

  it("with orphan_action 'report' are only reported", async () => {
    const h = harness({ settings: { orphanAction: 'report' } });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.clock.advance(h.settings.orphanTimeoutSec * 1000);
    const report = await h.sweep.run();
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'request', id: request.requestId, action: 'reported' }));
    expect((await h.store.getRequests([request.requestId]))[0]?.status).toBe('running');
    expect(alive(h)).toHaveLength(1);
  });

  it('a request whose requestMachines died before launching ends too, leaving nothing', async () => {
    const h = harness();
    await h.store.admit(
      anAcquireRequest({
        requestId: 'req-dead',
        launchAttempts: 1,
        launchLease: { until: h.clock.now() + 1000, holder: 'x', count: 1 },
        createdAt: h.clock.now(),
      }),
      () => true,
    );
    h.clock.advance(h.settings.orphanTimeoutSec * 1000);
    await h.sweep.run();
    expect((await h.store.getRequests(['req-dead']))[0]).toMatchObject({ status: 'complete_with_error' });
    expect(h.cloud.count('acquire')).toBe(0);
  });
});

describe('the orphan sweep of the cloud', () => {
  it('gives back an instance the store does not hold once the grace period is over, logging it first', async () => {
    const warnings: unknown[] = [];
    const h = harness({ logger: { ...silentLogger, warn: (message, fields) => warnings.push({ message, fields }) } });
    h.cloud.addInstance(anObservation({ machineId: 'i-stray', requestId: undefined, state: 'running' }));
    let report = await h.sweep.run();
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'instance', id: 'i-stray', action: 'waiting', graceLeftSec: h.settings.orphanGraceSec }),
    ]);
    expect(warnings).toHaveLength(1);
    h.clock.advance(h.settings.orphanGraceSec * 1000 - 1);
    expect((await h.sweep.run()).findings[0]?.action).toBe('waiting');
    h.clock.advance(1);
    report = await h.sweep.run();
    expect(report.findings).toEqual([expect.objectContaining({ id: 'i-stray', action: 'given back' })]);
    expect(h.cloud.instances.get('i-stray')?.observation.state).toBe('shutting-down');
  });

  it('never touches machines HF says it holds, nor another provider instance', async () => {
    const h = harness();
    h.cloud.addInstance(anObservation({ machineId: 'i-hf', requestId: 'req-forgotten', state: 'running' }));
    h.cloud.addInstance(anObservation({ machineId: 'i-foreign', requestId: undefined, state: 'running' }), { foreign: true });
    await h.getReturnRequests.execute({ machines: [{ machineId: 'i-hf', name: 'host' }] });
    h.clock.advance(h.settings.orphanGraceSec * 1000 + h.settings.orphanSweepIntervalSec * 1000);
    await h.getRequestStatus.execute({ requestIds: [] }); // nothing running: no sweep from here
    const report = await h.sweep.run({ immediate: true }); // HF's list is remembered
    expect(report.findings).toEqual([]);
    expect(alive(h).sort()).toEqual(['i-foreign', 'i-hf']);
  });

  it('runs from status polls that reach the cloud, not from polls of finished requests', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(h.cloud.count('inventory')).toBe(1);
    h.cloud.setAll('pending', 'running');
    h.clock.advance(h.settings.orphanSweepIntervalSec * 1000);
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // completes it
    h.clock.advance(h.settings.orphanSweepIntervalSec * 1000);
    const before = h.cloud.count('inventory');
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // nothing running: answered from the store
    expect(h.cloud.count('inventory')).toBe(before);
  });

  it('runs at most once per interval across calls (a store lease)', async () => {
    const h = harness();
    await h.getReturnRequests.execute({});
    await h.getReturnRequests.execute({});
    expect(h.cloud.count('inventory')).toBe(1);
    h.clock.advance(h.settings.orphanSweepIntervalSec * 1000);
    await h.getReturnRequests.execute({});
    expect(h.cloud.count('inventory')).toBe(2);
  });

  it('removes a fleet made for a request the store does not know, keeps one holding HF machines', async () => {
    const h = harness({ mode: 'fleet', launchLimit: 1 });
    const stray: Request = anAcquireRequest({ requestId: 'req-unknown', machineCount: 2 });
    await h.cloud.acquire({ request: stray, template: aTemplate(), count: 2, attempt: 1, deadline: Number.MAX_SAFE_INTEGER });
    await h.cloud.describe({ requests: [stray], machines: [] }); // the fleet launches one
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete'); // its fleet lives on, holding HF's machines
    const report = await h.sweep.run({ immediate: true });
    expect(h.cloud.calls.filter((c) => c.op === 'dispose').map((c) => c.input)).toEqual([['fleet-req-unknown']]);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'fake fleet', requestId: 'req-unknown', action: 'given back' }));
  });

  it('dry runs change nothing', async () => {
    const h = harness();
    h.cloud.addInstance(anObservation({ machineId: 'i-stray', requestId: undefined, state: 'running' }));
    const report = await h.sweep.run({ immediate: true, dryRun: true });
    expect(report.findings).toEqual([expect.objectContaining({ id: 'i-stray', action: 'reported' })]);
    expect(alive(h)).toEqual(['i-stray']);
  });
});

describe('returns of machines the store forgot', () => {
  it('are found in the cloud by their tags, recorded in the return and given back; strangers are named, never touched', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    const held = alive(h);
    h.cloud.addInstance(anObservation({ machineId: 'i-foreign', state: 'running' }), { foreign: true });
    const wiped = new InMemoryStateStore(); // the work dir was wiped
    const returns = new RequestReturnMachines(wiped, h.providers, new SequentialIdGenerator(), h.clock, silentLogger, h.templates);
    const out = await returns.execute({ machines: [...held, 'i-foreign', 'i-nowhere'].map((machineId) => ({ machineId })) });
    expect(out.machines.map((m) => m.machineId).sort()).toEqual(held.sort());
    expect(out.unknown).toEqual([{ machineId: 'i-foreign' }, { machineId: 'i-nowhere' }]);
    expect(alive(h)).toEqual(['i-foreign']);
    const recorded = await wiped.getMachines({ returnRequestIds: [out.request.requestId] });
    expect(recorded.map((m) => m.machineId).sort()).toEqual(held.sort());
    expect(recorded.every((m) => m.requestId === request.requestId)).toBe(true);
  });
});

describe('returns that never take', () => {
  it('end complete_with_error after the return timeout naming the machines; the sweep keeps giving them back', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    const [id] = alive(h);
    const ret = await h.requestReturnMachines.execute({ machines: [{ machineId: id }] });
    h.cloud.setState(id!, 'running'); // the cloud accepted the terminate but never carried it out
    h.clock.advance(h.settings.returnTimeoutSec * 1000);
    const [report] = await h.getRequestStatus.execute({ requestIds: [ret.request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    expect(report?.message).toContain(id);
    h.cloud.setState(id!, 'running');
    const releases = h.cloud.count('release');
    h.clock.advance(h.settings.orphanSweepIntervalSec * 1000);
    const sweep = await h.sweep.run();
    expect(sweep.findings).toContainEqual(expect.objectContaining({ id, action: 'given back' }));
    expect(h.cloud.count('release')).toBeGreaterThan(releases);
  });
});

describe('closing requests', () => {
  it('an acquire request closes once its last machine is returned and terminated; the return closes when complete', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    const [a, b] = alive(h);
    const first = await h.requestReturnMachines.execute({ machines: [{ machineId: a }] });
    h.cloud.setAll('shutting-down', 'terminated');
    await h.getRequestStatus.execute({ requestIds: [first.request.requestId] });
    expect((await h.store.getRequests([request.requestId]))[0]?.closedAt).toBeUndefined();
    const second = await h.requestReturnMachines.execute({ machines: [{ machineId: b }] });
    h.cloud.setAll('shutting-down', 'terminated');
    await h.getRequestStatus.execute({ requestIds: [second.request.requestId] });
    const [acquire, ret] = await h.store.getRequests([request.requestId, second.request.requestId]);
    expect(acquire?.closedAt).toBe(h.clock.now());
    expect(ret?.closedAt).toBe(h.clock.now());
  });
});

describe('returns HF never learnt of', () => {
  it('are completed by the sweep once their machines are seen terminated, freeing the quota', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 2 })] });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    expect(await pollUntilSettled(h, request.requestId)).toBe('complete');
    const [id] = alive(h);
    // requestReturnMachines recorded the return and was killed before answering: HF never polls it.
    const lost = await h.requestReturnMachines.execute({ machines: [{ machineId: id }] });
    h.cloud.setAll('shutting-down', 'terminated');
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(0);
    await h.sweep.run();
    expect((await h.store.getRequests([lost.request.requestId]))[0]).toMatchObject({ status: 'complete' });
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(1);
  });
});
