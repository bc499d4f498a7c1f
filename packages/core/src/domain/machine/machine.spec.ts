import { aMachine, anObservation } from '../../testing/builders';
import { countsAgainstQuota, isMachineHeld, machineChanged, markGone, newMachine, observeMachine, returnResult } from './machine';

const context = { now: 1_700_000_100_000, pendingTimeoutSec: 180 };
const owner = { requestId: 'req-1', templateId: 'T', providerApi: 'RunInstances' as const, instanceTags: 'a=b' };

describe('machine rules', () => {
  it('a pending instance is executing, a running one succeeds', () => {
    const pending = newMachine(anObservation({ state: 'pending', launchTime: 1_700_000_090 }), owner, context);
    expect(pending).toMatchObject({ result: 'executing', status: 'pending', requestId: 'req-1', version: 0, instanceTags: 'a=b' });
    const running = observeMachine(pending, anObservation({ state: 'running' }), context);
    expect(running.result).toBe('succeed');
    expect(running.message).toBe('');
  });

  it('an instance that stops or terminates before it is ready fails with the cloud reason', () => {
    const pending = newMachine(anObservation({ state: 'pending', launchTime: 1_700_000_090 }), owner, context);
    const failed = observeMachine(pending, anObservation({ state: 'terminated', stateReason: 'Server.InternalError' }), context);
    expect(failed.result).toBe('fail');
    expect(failed.message).toContain('Server.InternalError');
    expect(failed.message).toContain('terminated');
  });

  it('a machine pending past the pending timeout fails; before it, it keeps executing', () => {
    const launchTime = context.now / 1000 - 100;
    const pending = newMachine(anObservation({ state: 'pending', launchTime }), owner, context);
    expect(pending.result).toBe('executing');
    const later = { ...context, now: context.now + 81_000 };
    const timedOut = observeMachine(pending, anObservation({ state: 'pending', launchTime }), later);
    expect(timedOut.result).toBe('fail');
    expect(timedOut.message).toContain('AWS_INSTANCE_PENDING_TIMEOUT_SEC');
  });

  it('a machine handed over stays succeed when the cloud later takes it', () => {
    const running = aMachine({ result: 'succeed', status: 'running' });
    const terminated = observeMachine(running, anObservation({ state: 'terminated' }), context);
    expect(terminated.result).toBe('succeed');
    expect(terminated.status).toBe('terminated');
  });

  it('the name is the private DNS name, or the private IP without one', () => {
    const withDns = newMachine(anObservation({ name: 'ip-10-0-0-9.ec2.internal', privateIpAddress: '10.0.0.9' }), owner, context);
    expect(withDns.name).toBe('ip-10-0-0-9.ec2.internal');
    const withoutDns = newMachine(anObservation({ name: '', privateIpAddress: '10.0.0.9' }), owner, context);
    expect(withoutDns.name).toBe('10.0.0.9');
  });

  it('a machine the cloud forgot is gone: terminated, and failed when never handed over', () => {
    expect(markGone(aMachine({ result: 'executing', status: 'pending' }), context)).toMatchObject({
      gone: true,
      status: 'terminated',
      result: 'fail',
    });
    expect(markGone(aMachine({ result: 'succeed' }), context)).toMatchObject({ gone: true, result: 'succeed' });
  });

  it('return result: succeed once terminated or gone, executing before', () => {
    expect(returnResult(aMachine({ status: 'shutting-down' }))).toBe('executing');
    expect(returnResult(aMachine({ status: 'terminated' }))).toBe('succeed');
    expect(returnResult(aMachine({ status: 'running', gone: true }))).toBe('succeed');
  });

  it('held and quota rules', () => {
    expect(isMachineHeld(aMachine())).toBe(true);
    expect(isMachineHeld(aMachine({ returnRequestId: 'ret-1' }))).toBe(false);
    expect(isMachineHeld(aMachine({ result: 'fail' }))).toBe(false);
    expect(countsAgainstQuota(aMachine({ returnRequestId: 'ret-1', status: 'shutting-down' }))).toBe(true);
    expect(countsAgainstQuota(aMachine({ returnRequestId: 'ret-1', status: 'terminated' }))).toBe(false);
    expect(countsAgainstQuota(aMachine({ result: 'fail', status: 'running' }))).toBe(false);
    expect(countsAgainstQuota(aMachine({ gone: true }))).toBe(false);
  });

  it('keeps a notice once given; a newer notice from the cloud replaces it', () => {
    const noticed = observeMachine(aMachine(), anObservation({ notice: { kind: 'rebalance-recommendation' } }), context);
    expect(observeMachine(noticed, anObservation(), context).notice).toEqual({ kind: 'rebalance-recommendation' });
    const interrupted = observeMachine(noticed, anObservation({ notice: { kind: 'spot-interruption', deadline: 5 } }), context);
    expect(interrupted.notice).toEqual({ kind: 'spot-interruption', deadline: 5 });
  });

  it('machineChanged sees status, result and notice changes only', () => {
    const m = aMachine();
    expect(machineChanged(m, { ...m, updatedAt: 5 })).toBe(false);
    expect(machineChanged(m, { ...m, status: 'stopped' })).toBe(true);
    expect(machineChanged(m, { ...m, notice: { kind: 'spot-interruption', deadline: 5 } })).toBe(true);
  });
});
