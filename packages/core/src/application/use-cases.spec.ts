import { HostFactoryError } from '../errors';
import type { Template } from '../domain/template/template';
import { aTemplate, anObservation } from '../testing/builders';
import { silentLogger } from '../ports/logger';
import { InMemoryCapacityProvider, SequentialIdGenerator, StaticCapacityProviders } from '../testing/fakes';
import { GetRequestStatus } from './get-request-status';
import { GetReturnRequests } from './get-return-requests';
import { harness } from './harness.spec-util';
import { RequestMachines } from './request-machines';
import { RequestReturnMachines } from './request-return-machines';

const code = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    return (error as HostFactoryError).code;
  }
  throw new Error('expected a failure');
};

describe('getAvailableTemplates', () => {
  it('derives attributes from the instance type, keeps order and counts what is available', async () => {
    const h = harness({
      templates: [aTemplate({ templateId: 'B', attributes: {}, maxNumber: 5 }), aTemplate({ templateId: 'A', maxNumber: -1 })],
    });
    await h.requestMachines.execute({ templateId: 'B', machineCount: 2 });
    const list = await h.getAvailableTemplates.execute();
    expect(list.map((t) => t.template.templateId)).toEqual(['B', 'A']);
    expect(list[0]?.attributes).toMatchObject({ ncpus: ['Numeric', '1'], nram: ['Numeric', '4096'], type: ['String', 'X86_64'] });
    expect(list[0]?.availableNumber).toBe(3);
    expect(list[1]?.availableNumber).toBe(-1);
  });

  it('fails (never answers a partial list) when attributes cannot be derived because the cloud failed', async () => {
    const h = harness({ templates: [aTemplate({ attributes: {} })] });
    h.catalog.failWith = new HostFactoryError('THROTTLED', 'Rate exceeded');
    expect(await code(h.getAvailableTemplates.execute())).toBe('THROTTLED');
  });

  it('lists a template whose instance type the cloud does not know with nothing available, and the others as usual', async () => {
    const h = harness({
      templates: [aTemplate({ templateId: 'Typo', vmType: 'm5.lrage', attributes: {} }), aTemplate({ templateId: 'Good', attributes: {} })],
    });
    const [typo, good] = await h.getAvailableTemplates.execute();
    expect(typo).toMatchObject({ availableNumber: 0, problem: expect.stringContaining("'m5.lrage' is unknown to the cloud") });
    expect(typo?.template.maxNumber).toBe(10);
    expect(good).toMatchObject({ availableNumber: 10, attributes: expect.objectContaining({ ncpus: ['Numeric', '1'] }) });
    expect(good?.problem).toBeUndefined();
  });

  it('does not ask the cloud when every template states its attributes', async () => {
    const h = harness();
    await h.getAvailableTemplates.execute();
    expect(h.catalog.calls).toBe(0);
  });

  it('returned and terminated machines free their place again', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 2 })] });
    const out = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(0);
    await h.requestReturnMachines.execute({ machines: [{ machineId: out.machines[0]?.machineId }] });
    h.cloud.setAll('shutting-down', 'terminated');
    const ret = await h.store.listRequests({ kind: 'return' });
    await h.getRequestStatus.execute({ requestIds: ret.map((r) => r.requestId) });
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(1);
  });
});

describe('requestMachines', () => {
  it('keeps HF rc_account on the request and launches every attempt with the RC_ACCOUNT tag and the user-data exports', async () => {
    const template = aTemplate({ userData: '#!/bin/sh\n%EXPORT_USER_DATA%\n', instanceTags: { team: 'hpc' } });
    const h = harness({ templates: [template], launchLimit: 1 });
    const out = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2, rcAccount: 'desk-1' });
    expect(out.request.rcAccount).toBe('desk-1');
    expect((await h.store.getRequests([out.request.requestId]))[0]?.rcAccount).toBe('desk-1');
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [out.request.requestId] }); // the top-up: attempt 2
    const launched = h.cloud.calls.filter((call) => call.op === 'acquire').map((call) => (call.input as { template: Template }).template);
    expect(launched).toHaveLength(2);
    for (const sent of launched) {
      expect(sent.instanceTags).toEqual({ team: 'hpc', RC_ACCOUNT: 'desk-1' });
      expect(sent.userData).toBe('#!/bin/sh\nexport rc_account=desk-1;export template_id=OnDemand-Small;export providerName=awsinst;\n');
    }
  });

  it('refuses an rc_account that is no tag value or shell word with INVALID_INPUT, storing nothing', async () => {
    const h = harness();
    await expect(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1, rcAccount: 'a;reboot' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'rc_account' },
    });
    expect(await h.store.listRequests({})).toEqual([]);
    expect(h.cloud.calls).toEqual([]);
  });

  it('stores the request before the cloud call and tags machines to it', async () => {
    const h = harness();
    h.cloud.failures.acquire.push(new HostFactoryError('INSUFFICIENT_CAPACITY', 'no capacity'));
    expect(await code(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 }))).toBe('INSUFFICIENT_CAPACITY');
    const [stored] = await h.store.listRequests({ kind: 'acquire' });
    expect(stored).toMatchObject({ status: 'complete_with_error', launchAttempts: 1 });
    expect(stored?.message).toContain('no capacity');
  });

  it('launches with attempt 1 and records the machines', async () => {
    const h = harness();
    const out = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    expect(out.request.requestId).toMatch(/^req-/);
    expect(out.machines).toHaveLength(3);
    expect(h.cloud.calls[0]?.input).toMatchObject({ attempt: 1, count: 3 });
    expect(await h.store.getMachines({ requestIds: [out.request.requestId] })).toHaveLength(3);
  });

  it('answers the request id even when recording the launched machines fails; the poll adopts them', async () => {
    const h = harness();
    const realWrite = h.store.write.bind(h.store);
    let writes = 0;
    jest.spyOn(h.store, 'write').mockImplementation(async (changes) => {
      writes += 1;
      if (writes === 1) throw new HostFactoryError('STORAGE_ERROR', 'database is locked', { transient: true });
      return realWrite(changes);
    });
    const out = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    expect(await h.store.getMachines({ requestIds: [out.request.requestId] })).toHaveLength(0);
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines).toHaveLength(2);
  });

  it.each([
    ['unknown template', { templateId: 'nope', machineCount: 1 }, 'TEMPLATE_NOT_FOUND'],
    ['zero machines', { templateId: 'OnDemand-Small', machineCount: 0 }, 'INVALID_INPUT'],
    ['negative', { templateId: 'OnDemand-Small', machineCount: -2 }, 'INVALID_INPUT'],
    ['fractional', { templateId: 'OnDemand-Small', machineCount: 1.5 }, 'INVALID_INPUT'],
    ['above availableNumber', { templateId: 'OnDemand-Small', machineCount: 11 }, 'MAX_NUMBER_EXCEEDED'],
  ])('refuses %s and stores nothing', async (_name, input, expected) => {
    const h = harness();
    expect(await code(h.requestMachines.execute(input))).toBe(expected);
    expect(await h.store.listRequests({})).toEqual([]);
    expect(h.cloud.count('acquire')).toBe(0);
  });

  it('concurrent requests never overdraw maxNumber (each that sees the excess withdraws)', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 3 })] });
    const outcomes = await Promise.allSettled([
      h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 }),
      h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 }),
      h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 }),
    ]);
    expect(h.cloud.instances.size).toBeLessThanOrEqual(3);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'MAX_NUMBER_EXCEEDED' });
    }
    const running = await h.store.listRequests({ kind: 'acquire', statuses: ['running'] });
    expect(running.reduce((sum, r) => sum + r.machineCount, 0)).toBeLessThanOrEqual(3);
    // Withdrawn requests are kept, finished, and free their place again.
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(3 - h.cloud.instances.size);
  });

  it('launches with the template as the validator prepared it, and stores nothing when it is invalid', async () => {
    const h = harness();
    const prepared: string[] = [];
    const validator = {
      prepare: async (template: Template) => {
        prepared.push(template.templateId);
        if (template.subnetIds.includes('subnet-nope')) {
          throw new HostFactoryError('TEMPLATE_INVALID', "Template 'OnDemand-Small': subnetId 'subnet-nope' does not exist", {
            details: { templateId: template.templateId, field: 'subnetId', value: 'subnet-nope' },
          });
        }
        return { ...template, imageId: 'ami-from-ssm' };
      },
    };
    const providers = new StaticCapacityProviders([h.cloud]);
    const useCase = new RequestMachines(h.templates, h.store, providers, new SequentialIdGenerator(), h.clock, h.settings, silentLogger, validator);
    await useCase.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    expect((h.cloud.calls[0]?.input as { template: Template }).template.imageId).toBe('ami-from-ssm');
    h.templates.templates = [aTemplate({ subnetIds: ['subnet-nope'] })];
    const before = await h.store.listRequests({});
    await expect(useCase.execute({ templateId: 'OnDemand-Small', machineCount: 1 })).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      details: { field: 'subnetId' },
    });
    expect(await h.store.listRequests({})).toEqual(before);
    expect(prepared).toEqual(['OnDemand-Small', 'OnDemand-Small']);
  });

  it('names the available templates when the template is unknown', async () => {
    const h = harness();
    await expect(h.requestMachines.execute({ templateId: 'nope', machineCount: 1 })).rejects.toMatchObject({
      details: { available_templates: ['OnDemand-Small'] },
    });
  });
});

describe('getRequestStatus', () => {
  it('runs an acquire request to complete; machines succeed when running', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    let [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('running');
    expect(report?.machines.map((m) => m.result)).toEqual(['executing', 'executing']);
    h.cloud.setAll('pending', 'running');
    [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines.every((m) => m.result === 'succeed' && m.machine.name.startsWith('ip-'))).toBe(true);
  });

  it('tops up a partial launch on later polls, one claimed attempt at a time (moto-like cloud)', async () => {
    const h = harness({ launchLimit: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    expect((await h.store.getMachines({ requestIds: [request.requestId] })).length).toBe(1);
    for (let poll = 0; poll < 4; poll++) {
      h.cloud.setAll('pending', 'running');
      await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    }
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines).toHaveLength(3);
    const attempts = h.cloud.calls.filter((c) => c.op === 'acquire').map((c) => (c.input as { attempt: number }).attempt);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('two concurrent polls never launch the same top-up twice', async () => {
    const h = harness({ launchLimit: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    await Promise.all([
      h.getRequestStatus.execute({ requestIds: [request.requestId] }),
      h.getRequestStatus.execute({ requestIds: [request.requestId] }),
    ]);
    expect(h.cloud.instances.size).toBe(2);
  });

  it('gives up with complete_with_error after repeated capacity failures', async () => {
    const h = harness({ launchLimit: 1, settings: { maxFailedLaunchAttempts: 2 } });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    h.cloud.setAll('pending', 'running');
    h.cloud.failures.acquire.push(
      new HostFactoryError('INSUFFICIENT_CAPACITY', 'InsufficientInstanceCapacity'),
      new HostFactoryError('INSUFFICIENT_CAPACITY', 'InsufficientInstanceCapacity'),
    );
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    expect(report?.message).toContain('1 of 2');
    expect(report?.message).toContain('InsufficientInstanceCapacity');
  });

  it('stops seeking capacity when the capacity timeout has passed', async () => {
    const h = harness({ launchLimit: 1, settings: { capacityTimeoutSec: 60 } });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    h.cloud.setAll('pending', 'running');
    h.clock.advance(61_000);
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    expect(h.cloud.count('acquire')).toBe(1);
  });

  it('fails a machine stuck pending past the timeout, terminates it and replaces it', async () => {
    const h = harness({ settings: { pendingTimeoutSec: 180 } });
    const { request, machines } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.clock.advance(181_000);
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    const stuck = report?.machines.find((m) => m.machine.machineId === machines[0]?.machineId);
    expect(stuck?.result).toBe('fail');
    expect(stuck?.message).toContain('pending');
    expect(h.cloud.instances.get(machines[0]?.machineId as string)?.observation.state).toBe('shutting-down');
    expect(report?.machines).toHaveLength(2);
    expect(report?.status).toBe('running');
  });

  it('adopts instances launched for the request but never recorded', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    const [only] = await h.store.getMachines({ requestIds: [request.requestId] });
    // Simulate a crash between the launch and the write: the store forgets, the cloud does not.
    const lost = { ...only!, machineId: 'i-lost' };
    h.cloud.instances.set('i-lost', {
      observation: { ...h.cloud.instances.get(only!.machineId)!.observation, machineId: 'i-lost', state: 'running' },
      token: 'x',
    });
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.machines.map((m) => m.machine.machineId)).toContain(lost.machineId);
  });

  it('reports a passing cloud error as running with a message, and loses nothing', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.failures.describe.push(new HostFactoryError('THROTTLED', 'Rate exceeded'));
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('running');
    expect(report?.message).toContain('Rate exceeded');
    expect(report?.machines).toHaveLength(1);
  });

  it('answers unknown ids with complete_with_error, keeps input order and duplicates', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    const reports = await h.getRequestStatus.execute({ requestIds: ['req-unknown', request.requestId, 'req-unknown'] });
    expect(reports.map((r) => [r.requestId, r.found, r.status])).toEqual([
      ['req-unknown', false, 'complete_with_error'],
      [request.requestId, true, 'running'],
      ['req-unknown', false, 'complete_with_error'],
    ]);
  });

  it('describes every request of one poll in one cloud call', async () => {
    const h = harness();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 })).request.requestId);
    const before = h.cloud.count('describe');
    await h.getRequestStatus.execute({ requestIds: ids });
    expect(h.cloud.count('describe') - before).toBe(1);
  });
});

describe('requestReturnMachines and the return request', () => {
  async function running(h: ReturnType<typeof harness>, count = 2) {
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: count });
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    return report!.machines.map((m) => m.machine);
  }

  it('terminates by id or name and completes once terminated', async () => {
    const h = harness();
    const [a, b] = await running(h);
    const out = await h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }, { name: b!.name }] });
    expect(out.request.requestId).toMatch(/^ret-/);
    expect(out.machines.map((m) => m.machineId).sort()).toEqual([a!.machineId, b!.machineId].sort());
    let [report] = await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });
    expect(report?.status).toBe('running');
    expect(report?.machines.every((m) => m.result === 'executing')).toBe(true);
    h.cloud.setAll('shutting-down', 'terminated');
    [report] = await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines.every((m) => m.result === 'succeed')).toBe(true);
  });

  it('returning the same machine twice is not an error and answers the earlier return', async () => {
    const h = harness();
    const [a] = await running(h, 1);
    const first = await h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }] });
    const second = await h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }] });
    expect(second.request.requestId).toBe(first.request.requestId);
  });

  it('answers No Active VM (complete, no machines) when nothing named is alive', async () => {
    const h = harness();
    const out = await h.requestReturnMachines.execute({ machines: [{ machineId: 'i-unknown' }] });
    expect(out.machines).toEqual([]);
    expect(out.unknown).toEqual([{ machineId: 'i-unknown' }]);
    const [report] = await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });
    expect(report?.status).toBe('complete');
  });

  it('a terminate the cloud refused stays recorded, fails the call, and is retried by the status poll', async () => {
    const h = harness();
    const [a] = await running(h, 1);
    h.cloud.failures.release.push(new HostFactoryError('PROVIDER_ERROR', 'connect ECONNREFUSED', { transient: true }));
    await expect(h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }] })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
    const [ret] = await h.store.listRequests({ kind: 'return' });
    await h.getRequestStatus.execute({ requestIds: [ret!.requestId] });
    expect(h.cloud.instances.get(a!.machineId)?.observation.state).toBe('shutting-down');
  });

  it('guide dialect: returns every live machine of an acquire request', async () => {
    const h = harness();
    const machines = await running(h, 2);
    const out = await h.requestReturnMachines.execute({ requestId: machines[0]!.requestId });
    expect(out.machines).toHaveLength(2);
    expect(await code(h.requestReturnMachines.execute({ requestId: 'req-nope' }))).toBe('REQUEST_NOT_FOUND');
  });

  it('two concurrent returns of one machine: one return owns it', async () => {
    const h = harness();
    const [a] = await running(h, 1);
    const [x, y] = await Promise.all([
      h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }] }),
      h.requestReturnMachines.execute({ machines: [{ machineId: a!.machineId }] }),
    ]);
    const [stored] = await h.store.getMachines({ machineIds: [a!.machineId] });
    expect([x.request.requestId, y.request.requestId]).toContain(stored?.returnRequestId);
  });
});

describe('weighted capacity (vmTypes weights count units)', () => {
  const weighted = () => aTemplate({ templateId: 'W', vmType: 'm5.xlarge', vmTypes: { 'm5.xlarge': 4, 'm5.large': 2 }, maxNumber: 16 });

  it('machineCount counts units: 8 units of 4-unit instances are 2 machines', async () => {
    const h = harness({ templates: [weighted()] });
    const { request, machines } = await h.requestMachines.execute({ templateId: 'W', machineCount: 8 });
    expect(machines).toHaveLength(2);
    expect(machines.every((m) => m.weight === 4)).toBe(true);
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete');
    expect((await h.getAvailableTemplates.execute())[0]?.availableNumber).toBe(8);
    expect(await code(h.requestMachines.execute({ templateId: 'W', machineCount: 9 }))).toBe('MAX_NUMBER_EXCEEDED');
  });

  it('a shortfall is reported in units', async () => {
    const h = harness({ templates: [weighted()], launchLimit: 1, settings: { maxFailedLaunchAttempts: 1 } });
    const { request } = await h.requestMachines.execute({ templateId: 'W', machineCount: 8 });
    h.cloud.setAll('pending', 'running');
    h.cloud.failures.acquire.push(new HostFactoryError('INSUFFICIENT_CAPACITY', 'InsufficientInstanceCapacity'));
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    expect(report?.message).toContain('4 of 8 capacity units');
  });
});

describe('capacity that the cloud fills over time (fleets, groups)', () => {
  function fleet(settings = {}) {
    const h = harness({ settings });
    const cloud = new InMemoryCapacityProvider({ clock: h.clock, mode: 'fleet', launchLimit: 1 });
    const providers = new StaticCapacityProviders([cloud]);
    return {
      ...h,
      cloud,
      requestMachines: new RequestMachines(h.templates, h.store, providers, new SequentialIdGenerator(), h.clock, h.settings, silentLogger),
      getRequestStatus: new GetRequestStatus(h.store, providers, h.templates, h.clock, h.settings, silentLogger),
      requestReturnMachines: new RequestReturnMachines(h.store, providers, new SequentialIdGenerator(), h.clock, silentLogger, h.templates),
    };
  }

  it('waits while the provider reports fulfilling (no top-up), completes when filled', async () => {
    const h = fleet();
    const { request, machines } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 3 });
    expect(machines).toEqual([]);
    expect(request.providerData).toEqual({ fleetId: `fleet-${request.requestId}` });
    for (let poll = 0; poll < 3; poll++) {
      const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
      expect(report?.status).toBe('running');
      h.cloud.setAll('pending', 'running');
    }
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines).toHaveLength(3);
    expect(h.cloud.count('acquire')).toBe(1);
  });

  it('past the capacity timeout the request ends and the provider is told to stop; with nothing alive it is closed', async () => {
    const h = fleet({ capacityTimeoutSec: 60 });
    h.cloud.launchLimit = 0;
    h.cloud.fleetReason = 'InsufficientInstanceCapacity in us-east-1a';
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    let [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report).toMatchObject({ status: 'running', message: 'InsufficientInstanceCapacity in us-east-1a' });
    h.clock.advance(61_000);
    [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    expect(report?.message).toContain('InsufficientInstanceCapacity');
    expect(h.cloud.count('abandon')).toBe(1);
    expect((await h.store.getRequests([request.requestId]))[0]?.closedAt).toBe(h.clock.now());
  });

  it('a top-up that the cloud fills later is not a failed attempt', async () => {
    const h = fleet({ maxFailedLaunchAttempts: 1 });
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // the fleet launches 1 of 2
    h.cloud.targets.delete(request.requestId); // ... and settles short
    h.cloud.setAll('pending', 'running');
    let [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(h.cloud.count('acquire')).toBe(2); // core asked for the missing one with attempt 2
    expect(report?.status).toBe('running');
    expect((await h.store.getRequests([request.requestId]))[0]?.failedAttempts).toBe(0);
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // the new fleet launches it
    h.cloud.setAll('pending', 'running');
    [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete');
    expect(report?.machines).toHaveLength(2);
  });

  it('the sweep gives back what the cloud launches for a request that ended short, never the machines HF holds', async () => {
    const h = fleet({ capacityTimeoutSec: 60 });
    const getReturnRequests = new GetReturnRequests(h.store, new StaticCapacityProviders([h.cloud]), h.clock, h.settings, silentLogger, h.templates);
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    await h.getRequestStatus.execute({ requestIds: [request.requestId] }); // the fleet launches 1 of 2
    h.cloud.setAll('pending', 'running');
    h.cloud.launchLimit = 0;
    h.clock.advance(61_000);
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    expect(report?.status).toBe('complete_with_error');
    const [held] = report!.machines.map((m) => m.machine);
    expect(held?.result).toBe('succeed');
    // The cloud launches one more for the ended request after all.
    h.cloud.addInstance(anObservation({ machineId: 'i-late', requestId: request.requestId, state: 'running' }));
    h.clock.advance(61_000); // the sweep interval of the status poll above has passed
    await getReturnRequests.execute({});
    expect(h.cloud.instances.get('i-late')?.observation.state).toBe('running'); // seen, grace period running
    h.clock.advance(h.settings.orphanGraceSec * 1000);
    await getReturnRequests.execute({});
    expect(h.cloud.instances.get(held!.machineId)?.observation.state).toBe('running');
    expect(h.cloud.instances.get('i-late')?.observation.state).toBe('shutting-down');
  });

  it('release hands the provider the acquire requests of the machines', async () => {
    const h = fleet();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    await h.requestReturnMachines.execute({ machines: [{ machineId: report!.machines[0]!.machine.machineId }] });
    const release = h.cloud.calls.find((c) => c.op === 'release');
    expect(release?.input).toEqual({ machineIds: [report!.machines[0]!.machine.machineId], requestIds: [request.requestId] });
  });
});

describe('failed launches whose outcome is unknown', () => {
  it('are given back by the sweep after the grace period: instances carrying the request tag are recorded as failed and terminated', async () => {
    const h = harness();
    h.cloud.failures.acquire.push(new HostFactoryError('PROVIDER_ERROR', 'socket hang up', { transient: true }));
    expect(await code(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 }))).toBe('PROVIDER_ERROR');
    const [failed] = await h.store.listRequests({ kind: 'acquire' });
    expect(failed?.status).toBe('complete_with_error');
    expect(failed?.closedAt).toBeUndefined();
    expect(failed?.launchLease).toBeUndefined();
    // The launch did reach the cloud after all.
    h.cloud.addInstance(anObservation({ machineId: 'i-orphan', requestId: failed!.requestId, state: 'running' }));
    expect(await h.getReturnRequests.execute({})).toEqual([]);
    expect(h.cloud.instances.get('i-orphan')?.observation.state).toBe('running');
    h.clock.advance(h.settings.orphanGraceSec * 1000);
    expect(await h.getReturnRequests.execute({})).toEqual([]);
    expect(h.cloud.instances.get('i-orphan')?.observation.state).toBe('shutting-down');
    expect(await h.store.getMachines({ machineIds: ['i-orphan'] })).toEqual([
      expect.objectContaining({ result: 'fail', requestId: failed!.requestId }),
    ]);
  });

  it('a launch the cloud refused outright leaves a closed request: nothing can be in the cloud for it', async () => {
    const h = harness();
    h.cloud.failures.acquire.push(new HostFactoryError('INSUFFICIENT_CAPACITY', 'InsufficientInstanceCapacity'));
    await code(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 }));
    const [failed] = await h.store.listRequests({ kind: 'acquire' });
    expect(failed?.closedAt).toBe(h.clock.now());
    expect(await h.store.listRequests({ open: true })).toEqual([]);
  });
});

describe('getReturnRequests', () => {
  it('lists machines stopped or terminated outside the plugin, and vanished ones, but not our returns', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 4 });
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    const [a, b, c, d] = report!.machines.map((m) => m.machine);
    h.cloud.setState(a!.machineId, 'terminated', 'User initiated');
    h.cloud.setState(b!.machineId, 'stopped');
    h.cloud.forget(c!.machineId);
    await h.requestReturnMachines.execute({ machines: [{ machineId: d!.machineId }] });
    const reclaims = await h.getReturnRequests.execute({});
    expect(reclaims.map((r) => r.machineId).sort()).toEqual([a!.machineId, b!.machineId, c!.machineId].sort());
    expect(reclaims.every((r) => r.gracePeriod === 0)).toBe(true);
  });

  it('reports a spot interruption notice with the seconds left', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.setAll('pending', 'running');
    const [report] = await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    const m = report!.machines[0]!.machine;
    h.cloud.update(m.machineId, { notice: { kind: 'spot-interruption', deadline: h.clock.now() / 1000 + 90 } });
    const reclaims = await h.getReturnRequests.execute({ machines: [{ machineId: m.machineId, name: m.name }] });
    expect(reclaims).toEqual([{ machineId: m.machineId, name: m.name, gracePeriod: 90, reason: 'spot-interruption' }]);
  });

  it('fails rather than answer an empty list when the cloud cannot be asked', async () => {
    const h = harness();
    const { request } = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [request.requestId] });
    h.cloud.failures.describe.push(new HostFactoryError('PROVIDER_ERROR', 'unreachable', { transient: true }));
    expect(await code(h.getReturnRequests.execute({}))).toBe('PROVIDER_ERROR');
  });
});
