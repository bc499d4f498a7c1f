import { aMachine, anAcquireRequest } from '../testing';
import { unitsInUse } from './template-usage';

describe('unitsInUse', () => {
  const request = anAcquireRequest({ requestId: 'req-r', templateId: 'T', machineCount: 1, status: 'complete' });
  const machine = aMachine({ machineId: 'i-1', requestId: 'req-r', templateId: 'T', status: 'pending' });

  it("counts a launch that landed between a store's reads: missing from the template's machines, the request's shortfall already gone", () => {
    // DynamoDB: running requests read (R running), template machines read (R's machine not yet
    // written), R's launch commits, R's machines read (the machine is there): R must count once.
    const running = { ...request, status: 'running' as const };
    expect(unitsInUse({ templateId: 'T', machines: [], requests: [running], requestMachines: [machine] })).toBe(1);
  });

  it('counts a machine seen in both reads once', () => {
    const running = { ...request, status: 'running' as const };
    expect(unitsInUse({ templateId: 'T', machines: [machine], requests: [running], requestMachines: [machine] })).toBe(1);
    expect(unitsInUse({ templateId: 'T', machines: [machine], requests: [], requestMachines: [] })).toBe(1);
  });

  it('a running request with nothing launched yet reserves its count; finished machines count nothing', () => {
    const running = { ...request, status: 'running' as const, machineCount: 3 };
    const gone = aMachine({ machineId: 'i-2', requestId: 'req-r', templateId: 'T', status: 'terminated' });
    expect(unitsInUse({ templateId: 'T', machines: [], requests: [running], requestMachines: [gone] })).toBe(3);
  });
});
