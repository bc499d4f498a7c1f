import { HostFactoryError } from '@open-hostfactory/core';
import { awsErrorCode, classifyAwsError, mapAwsError } from './errors';
import { awsError } from './testing';

describe('classifyAwsError', () => {
  it.each([
    ['Throttling', 400, 'throttled'],
    ['RequestLimitExceeded', 400, 'throttled'],
    ['ProvisionedThroughputExceededException', 400, 'throttled'],
    ['SlowDown', 503, 'throttled'],
    ['AnythingAt429', 429, 'throttled'],
    ['AuthFailure', 401, 'auth'],
    ['UnrecognizedClientException', 400, 'auth'],
    ['AccessDeniedException', 400, 'auth'],
    ['InternalError', 500, 'server'],
    ['SomethingBroke', 503, 'server'],
    ['InvalidParameterValue', 400, 'client'],
  ])('%s (HTTP %d) is %s', (name, status, kind) => {
    expect(classifyAwsError(awsError(name, 'm', status)).kind).toBe(kind);
  });

  it('a socket error without an HTTP answer is unreachable, naming the code and the endpoint', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 });
    expect(classifyAwsError(refused)).toMatchObject({ kind: 'unreachable', networkCode: 'ECONNREFUSED', endpoint: '127.0.0.1:9' });
    const wrapped = new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9');
    expect(classifyAwsError(wrapped)).toMatchObject({ kind: 'unreachable', networkCode: 'ECONNREFUSED', endpoint: '127.0.0.1:9' });
    const inner = Object.assign(new Error('outer'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    expect(classifyAwsError(inner)).toMatchObject({ kind: 'unreachable', networkCode: 'ECONNRESET' });
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(classifyAwsError(timeout)).toMatchObject({ kind: 'unreachable', networkCode: 'TimeoutError' });
  });

  it('reads the code from `Code` when set, else `name` (never plain Error)', () => {
    expect(awsErrorCode(Object.assign(new Error('x'), { Code: 'VcpuLimitExceeded' }))).toBe('VcpuLimitExceeded');
    expect(awsErrorCode(new Error('x'))).toBe('');
    expect(awsErrorCode('text')).toBe('');
  });
});

describe('mapAwsError', () => {
  it('service codes first, then the shared kinds', () => {
    const codes = (code: string) => (code === 'InsufficientInstanceCapacity' ? { code: 'INSUFFICIENT_CAPACITY' as const } : undefined);
    const capacity = mapAwsError(awsError('InsufficientInstanceCapacity', 'none left'), 'EC2', 'RunInstances', codes);
    expect(capacity).toMatchObject({ code: 'INSUFFICIENT_CAPACITY', message: 'EC2 RunInstances failed: InsufficientInstanceCapacity: none left' });
    expect(capacity.details).toEqual({
      action: 'RunInstances',
      awsErrorCode: 'InsufficientInstanceCapacity',
      awsRequestId: 'aws-req-1',
      httpStatusCode: 400,
    });
    expect(mapAwsError(awsError('Throttling'), 'EC2', 'X', codes)).toMatchObject({ code: 'THROTTLED', transient: true });
    expect(mapAwsError(awsError('AuthFailure'), 'EC2', 'X', codes)).toMatchObject({ code: 'AUTH_ERROR', transient: false });
    expect(mapAwsError(awsError('InternalError', 'm', 500), 'EC2', 'X', codes)).toMatchObject({ code: 'PROVIDER_ERROR', transient: true });
    expect(mapAwsError(awsError('Odd'), 'EC2', 'X', codes)).toMatchObject({ code: 'PROVIDER_ERROR', transient: false });
  });

  it('an unreachable endpoint is a transient PROVIDER_ERROR saying so', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const mapped = mapAwsError(refused, 'Auto Scaling', 'DescribeAutoScalingGroups');
    expect(mapped).toMatchObject({ code: 'PROVIDER_ERROR', transient: true, details: { networkCode: 'ECONNREFUSED', endpoint: '127.0.0.1:9' } });
    expect(mapped.message).toContain('the AWS endpoint 127.0.0.1:9 is unreachable');
  });

  it('a HostFactoryError passes unchanged; the SDK error stays the cause', () => {
    const original = new HostFactoryError('NOT_FOUND', 'gone');
    expect(mapAwsError(original, 'EC2', 'X')).toBe(original);
    const cause = awsError('Odd');
    expect(mapAwsError(cause, 'EC2', 'X').cause).toBe(cause);
  });
});
