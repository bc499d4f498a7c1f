import { mapAsgError } from './errors';

const awsError = (name: string, message = 'boom'): Error => Object.assign(new Error(message), { name, $metadata: {} });

describe('mapAsgError', () => {
  it.each([
    ['Throttling', 'THROTTLED', true],
    ['ResourceContention', 'THROTTLED', true],
    ['ScalingActivityInProgress', 'THROTTLED', true],
    ['LimitExceeded', 'QUOTA_EXCEEDED', false],
    ['AccessDenied', 'AUTH_ERROR', false],
    ['ValidationError', 'TEMPLATE_INVALID', false],
    ['AlreadyExists', 'CONFLICT', true],
    ['ServiceUnavailable', 'PROVIDER_ERROR', true],
    ['SomethingNew', 'PROVIDER_ERROR', false],
  ])('%s -> %s', (name, code, transient) => {
    const cause = awsError(name);
    const mapped = mapAsgError(cause, 'CreateAutoScalingGroup');
    expect(mapped).toMatchObject({ code, transient });
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).toContain('CreateAutoScalingGroup');
  });

  it('network failures are a transient PROVIDER_ERROR saying the endpoint is unreachable', () => {
    const mapped = mapAsgError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'X');
    expect(mapped).toMatchObject({ code: 'PROVIDER_ERROR', transient: true });
    expect(mapped.message).toContain('unreachable');
  });
});
