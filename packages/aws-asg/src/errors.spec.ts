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

  it('a socket error the SDK wrapped (no HTTP answer) is unreachable too', () => {
    const mapped = mapAsgError(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9'), 'DescribeAutoScalingGroups');
    expect(mapped).toMatchObject({ code: 'PROVIDER_ERROR', transient: true, details: { networkCode: 'ECONNREFUSED', endpoint: '127.0.0.1:9' } });
  });

  it('an unknown error answered with a 5xx is a transient PROVIDER_ERROR; with a 4xx it is not', () => {
    const server = Object.assign(new Error('Internal Server Error'), { name: 'Error', $metadata: { httpStatusCode: 500 } });
    expect(mapAsgError(server, 'X')).toMatchObject({ code: 'PROVIDER_ERROR', transient: true, details: { httpStatusCode: 500 } });
    const client = Object.assign(new Error('nope'), { name: 'Odd', $metadata: { httpStatusCode: 400 } });
    expect(mapAsgError(client, 'X')).toMatchObject({ code: 'PROVIDER_ERROR', transient: false });
  });

  it('a HostFactoryError passes unchanged', () => {
    const original = mapAsgError(awsError('Throttling'), 'X');
    expect(mapAsgError(original, 'Y')).toBe(original);
  });
});
