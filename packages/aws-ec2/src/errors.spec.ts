import { HostFactoryError, type ErrorCode } from '@open-hostfactory/core';
import { awsError } from '@open-hostfactory/aws-common/testing';
import { awsErrorCode, mapEc2Error } from './errors';

describe('mapEc2Error', () => {
  const cases: [string, ErrorCode, boolean][] = [
    ['Throttling', 'THROTTLED', true],
    ['ThrottlingException', 'THROTTLED', true],
    ['RequestLimitExceeded', 'THROTTLED', true],
    ['TooManyRequestsException', 'THROTTLED', true],
    ['InsufficientInstanceCapacity', 'INSUFFICIENT_CAPACITY', false],
    ['InsufficientHostCapacity', 'INSUFFICIENT_CAPACITY', false],
    ['InsufficientReservedInstanceCapacity', 'INSUFFICIENT_CAPACITY', false],
    ['Unsupported', 'INSUFFICIENT_CAPACITY', false],
    ['SpotMaxPriceTooLow', 'INSUFFICIENT_CAPACITY', false],
    ['InsufficientCapacity', 'INSUFFICIENT_CAPACITY', false],
    ['InstanceLimitExceeded', 'QUOTA_EXCEEDED', false],
    ['VcpuLimitExceeded', 'QUOTA_EXCEEDED', false],
    ['MaxSpotInstanceCountExceeded', 'QUOTA_EXCEEDED', false],
    ['VolumeLimitExceeded', 'QUOTA_EXCEEDED', false],
    ['AuthFailure', 'AUTH_ERROR', false],
    ['UnauthorizedOperation', 'AUTH_ERROR', false],
    ['InvalidClientTokenId', 'AUTH_ERROR', false],
    ['SignatureDoesNotMatch', 'AUTH_ERROR', false],
    ['ExpiredToken', 'AUTH_ERROR', false],
    ['CredentialsProviderError', 'AUTH_ERROR', false],
    ['InvalidInstanceID.NotFound', 'NOT_FOUND', false],
    ['InvalidFleetId.NotFound', 'NOT_FOUND', false],
    ['InvalidParameterValue', 'TEMPLATE_INVALID', false],
    ['InvalidParameterCombination', 'TEMPLATE_INVALID', false],
    ['InvalidAMIID.NotFound', 'TEMPLATE_INVALID', false],
    ['InvalidAMIID.Malformed', 'TEMPLATE_INVALID', false],
    ['InvalidSubnetID.NotFound', 'TEMPLATE_INVALID', false],
    ['InvalidGroup.NotFound', 'TEMPLATE_INVALID', false],
    ['InvalidKeyPair.NotFound', 'TEMPLATE_INVALID', false],
    ['InvalidLaunchTemplateId.NotFound', 'TEMPLATE_INVALID', false],
    ['SomethingNew', 'PROVIDER_ERROR', false],
  ];

  it.each(cases)('maps %s to %s', (name, code, transient) => {
    const cause = awsError(name, `boom ${name}`);
    const mapped = mapEc2Error(cause, 'RunInstances');
    expect(mapped).toBeInstanceOf(HostFactoryError);
    expect(mapped.code).toBe(code);
    expect(mapped.transient).toBe(transient);
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).toContain('RunInstances');
    expect(mapped.message).toContain(`boom ${name}`);
    expect(mapped.details).toMatchObject({ action: 'RunInstances', awsErrorCode: name, awsRequestId: 'aws-req-1' });
  });

  it('reads the code from `Code` when the SDK sets it', () => {
    const error = Object.assign(new Error('x'), { name: 'Error', Code: 'VcpuLimitExceeded' });
    expect(awsErrorCode(error)).toBe('VcpuLimitExceeded');
    expect(mapEc2Error(error, 'RunInstances').code).toBe('QUOTA_EXCEEDED');
  });

  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND ec2.example'), { code: 'ENOTFOUND' })],
    ['ETIMEDOUT', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
    ['TimeoutError', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' })],
    ['socket hang up', Object.assign(new Error('socket hang up'), { $metadata: { attempts: 3 } })],
    ['system error code', Object.assign(new Error('weird'), { code: 'EPROTO' })],
  ])('maps a network failure (%s) to a transient PROVIDER_ERROR', (_label, error) => {
    const mapped = mapEc2Error(error, 'DescribeInstances');
    expect(mapped.code).toBe('PROVIDER_ERROR');
    expect(mapped.transient).toBe(true);
    expect(mapped.message).toContain('unreachable');
    expect(mapped.cause).toBe(error);
  });

  it('maps 5xx service errors to a transient PROVIDER_ERROR', () => {
    const mapped = mapEc2Error(awsError('InternalError', 'oops', 500), 'RunInstances');
    expect(mapped.code).toBe('PROVIDER_ERROR');
    expect(mapped.transient).toBe(true);
    expect(mapped.details['httpStatusCode']).toBe(500);
  });

  it('maps an unknown client error to a non-transient PROVIDER_ERROR and non-errors too', () => {
    expect(mapEc2Error(awsError('WhoKnows'), 'X')).toMatchObject({ code: 'PROVIDER_ERROR', transient: false });
    const fromString = mapEc2Error('plain string', 'X');
    expect(fromString.code).toBe('PROVIDER_ERROR');
    expect(fromString.message).toContain('plain string');
  });

  it('passes HostFactoryErrors through unchanged', () => {
    const original = new HostFactoryError('TEMPLATE_INVALID', 'bad');
    expect(mapEc2Error(original, 'RunInstances')).toBe(original);
  });
});
