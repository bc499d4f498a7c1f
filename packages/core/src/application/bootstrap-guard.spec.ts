import { aTemplate } from '../testing/builders';
import { harness } from './harness.spec-util';

const code = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

describe('bootstrap protection', () => {
  const settings = { bootstrapFailureLimit: 2, bootstrapCoolOffSec: 60 };

  it('N machines in a row failing before they are ready hold the template back for the cool-off: 0 available, requests refused', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 10 })], settings });
    const out = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 2 });
    h.cloud.setAll('pending', 'terminated');
    await h.getRequestStatus.execute({ requestIds: [out.request.requestId] });

    const [held] = await h.getAvailableTemplates.execute();
    expect(held).toMatchObject({ availableNumber: 0, template: { maxNumber: 10 } });
    expect(held?.problem).toMatch(
      /^2 machines in a row failed before they were ready \(last: Instance terminated before it was ready\); held back until /,
    );
    expect(await code(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 }))).toBe('INSUFFICIENT_CAPACITY');

    h.clock.advance(60_000);
    const [released] = await h.getAvailableTemplates.execute();
    expect(released?.problem).toBeUndefined();
    expect(released?.availableNumber).toBeGreaterThan(0);
    expect(await code(h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 }))).toBeUndefined();
  });

  it('a machine that becomes ready resets the count; a limit of 0 never holds back', async () => {
    const h = harness({ templates: [aTemplate({ maxNumber: 10 })], settings });
    const first = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.setAll('pending', 'terminated');
    await h.getRequestStatus.execute({ requestIds: [first.request.requestId] });
    const second = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.setAll('pending', 'running');
    await h.getRequestStatus.execute({ requestIds: [second.request.requestId] });
    const third = await h.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 1 });
    h.cloud.setAll('pending', 'terminated');
    await h.getRequestStatus.execute({ requestIds: [third.request.requestId] });
    expect((await h.getAvailableTemplates.execute())[0]?.problem).toBeUndefined();

    const off = harness({ templates: [aTemplate({ maxNumber: 10 })], settings: { bootstrapFailureLimit: 0 } });
    const many = await off.requestMachines.execute({ templateId: 'OnDemand-Small', machineCount: 5 });
    off.cloud.setAll('pending', 'terminated');
    await off.getRequestStatus.execute({ requestIds: [many.request.requestId] });
    expect((await off.getAvailableTemplates.execute())[0]?.problem).toBeUndefined();
  });
});
