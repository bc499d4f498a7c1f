import { aMachine, anAcquireRequest } from '../../testing/builders';
import { deriveAcquireStatus, deriveReturnStatus, maySeekCapacity, requestKindOf, shortfall } from './request';

describe('request rules', () => {
  const request = anAcquireRequest({ machineCount: 3 });
  const ok = (id: string) => aMachine({ machineId: id, result: 'succeed' });
  const pending = (id: string) => aMachine({ machineId: id, result: 'executing', status: 'pending' });
  const failed = (id: string, message = 'Instance terminated before it was ready: Server.InternalError') =>
    aMachine({ machineId: id, result: 'fail', status: 'terminated', message });

  it('complete when all wanted machines succeeded', () => {
    expect(deriveAcquireStatus(request, [ok('a'), ok('b'), ok('c')], false)).toEqual({ status: 'complete', message: '' });
  });

  it('running while a machine is executing', () => {
    expect(deriveAcquireStatus(request, [ok('a'), ok('b'), pending('c')], false).status).toBe('running');
  });

  it('running while capacity is still sought for what is missing', () => {
    expect(deriveAcquireStatus(request, [ok('a')], true, 'launched 1 of 3').status).toBe('running');
  });

  it('complete_with_error with the reasons when it ended with fewer', () => {
    const progress = deriveAcquireStatus(request, [ok('a'), ok('b'), failed('c')], false);
    expect(progress.status).toBe('complete_with_error');
    expect(progress.message).toContain('2 of 3');
    expect(progress.message).toContain('Server.InternalError');
    const capacity = deriveAcquireStatus(request, [ok('a')], false, 'INSUFFICIENT_CAPACITY: no t3.medium');
    expect(capacity.message).toContain('INSUFFICIENT_CAPACITY');
  });

  it('shortfall counts machines that did not fail', () => {
    expect(shortfall(request, [ok('a'), failed('b')])).toBe(2);
    expect(shortfall(request, [ok('a'), ok('b'), ok('c'), ok('d')])).toBe(0);
  });

  it('seeks capacity only while running, under the attempt and time limits', () => {
    const policy = { maxFailedAttempts: 3, now: request.createdAt + 1000, capacityTimeoutMs: 60_000 };
    expect(maySeekCapacity(request, policy)).toBe(true);
    expect(maySeekCapacity({ ...request, failedAttempts: 3 }, policy)).toBe(false);
    expect(maySeekCapacity({ ...request, status: 'complete' }, policy)).toBe(false);
    expect(maySeekCapacity(request, { ...policy, now: request.createdAt + 60_001 })).toBe(false);
  });

  it('a return request is complete when every machine is terminated or gone', () => {
    expect(deriveReturnStatus([aMachine({ status: 'terminated' }), aMachine({ gone: true })]).status).toBe('complete');
    expect(deriveReturnStatus([aMachine({ status: 'terminated' }), aMachine({ status: 'shutting-down' })]).status).toBe('running');
  });

  it('tells acquire and return ids apart', () => {
    expect(requestKindOf('req-1')).toBe('acquire');
    expect(requestKindOf('ret-1')).toBe('return');
    expect(requestKindOf('x-1')).toBeUndefined();
  });
});
