import { HostFactoryError } from '@open-hostfactory/core';
import { mapDynamoDbError, toStorageError } from './errors';
import { awsError } from '@open-hostfactory/aws-common/testing';

const context = { action: 'PutItem', tables: ['hf-requests'] };

function serverError(name: string): Error {
  return Object.assign(awsError(name, `${name} happened`), { $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

describe('mapDynamoDbError', () => {
  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException'])(
    'maps %s to transient STORAGE_ERROR naming the table, keeping the cause',
    (name) => {
      const error = awsError(name, 'slow down');
      expect(mapDynamoDbError(error, context)).toMatchObject({
        name: 'HostFactoryError',
        code: 'STORAGE_ERROR',
        transient: true,
        message: `DynamoDB table hf-requests is throttled (${name}: slow down)`,
        cause: error,
        details: { action: 'PutItem', tables: ['hf-requests'], awsErrorName: name, awsRequestId: 'aws-req-1', httpStatusCode: 400 },
      });
    },
  );

  it.each(['InternalServerError', 'ServiceUnavailable'])('maps the server error %s to transient STORAGE_ERROR', (name) => {
    expect(mapDynamoDbError(serverError(name), context)).toMatchObject({
      code: 'STORAGE_ERROR',
      transient: true,
      message: expect.stringContaining('failed on the DynamoDB side'),
    });
  });

  it('maps any 5xx answer to transient STORAGE_ERROR', () => {
    expect(mapDynamoDbError(serverError('SomethingNew'), context)).toMatchObject({ code: 'STORAGE_ERROR', transient: true });
  });

  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 4566 })],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['ETIMEDOUT', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
    ['a wrapped message', new Error('Failed: connect ECONNREFUSED ::1:8000')],
    [
      'an AggregateError',
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 })], ''),
    ],
    ['a TimeoutError', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' })],
  ])('maps the network error %s to transient STORAGE_ERROR saying the endpoint is unreachable', (_label, error) => {
    const mapped = mapDynamoDbError(error, context) as HostFactoryError;
    expect(mapped).toMatchObject({ code: 'STORAGE_ERROR', transient: true, cause: error });
    expect(mapped.message).toMatch(/^DynamoDB table hf-requests: the DynamoDB endpoint .*unreachable/);
  });

  it('names the endpoint of a refused connection', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 4566 });
    expect((mapDynamoDbError(error, context) as HostFactoryError).message).toContain('endpoint 127.0.0.1:4566 is unreachable');
  });

  it('recognises the SDK wrapper of a refused connection and names the endpoint', () => {
    const error = Object.assign(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:42549'), {
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    });
    expect(mapDynamoDbError(error, context)).toMatchObject({
      code: 'STORAGE_ERROR',
      transient: true,
      message: expect.stringMatching(/^DynamoDB table hf-requests: the DynamoDB endpoint 127\.0\.0\.1:42549 is unreachable \(ECONNREFUSED: /),
    });
  });

  it.each(['AccessDeniedException', 'UnrecognizedClientException', 'ExpiredTokenException', 'CredentialsProviderError'])(
    'maps %s to STORAGE_ERROR that is not transient and says access is denied',
    (name) => {
      expect(mapDynamoDbError(awsError(name, 'no'), context)).toMatchObject({
        code: 'STORAGE_ERROR',
        transient: false,
        message: expect.stringContaining('access denied or invalid credentials for PutItem'),
      });
    },
  );

  it('maps a failed condition and a conflicting transaction to CONFLICT (transient)', () => {
    expect(mapDynamoDbError(awsError('ConditionalCheckFailedException'), context)).toMatchObject({ code: 'CONFLICT', transient: true });
    expect(mapDynamoDbError(awsError('TransactionConflictException'), context)).toMatchObject({ code: 'CONFLICT', transient: true });
    const cancelled = awsError('TransactionCanceledException', 'cancelled', 400, {
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    expect(mapDynamoDbError(cancelled, context)).toMatchObject({
      code: 'CONFLICT',
      details: expect.objectContaining({ cancellationReasons: ['None', 'ConditionalCheckFailed'] }),
    });
  });

  it('maps a transaction cancelled for another reason to STORAGE_ERROR, transient only when throttled', () => {
    const invalid = awsError('TransactionCanceledException', 'cancelled', 400, { CancellationReasons: [{ Code: 'ValidationError' }] });
    const throttled = awsError('TransactionCanceledException', 'cancelled', 400, { CancellationReasons: [{ Code: 'ThrottlingError' }] });
    expect(mapDynamoDbError(invalid, context)).toMatchObject({ code: 'STORAGE_ERROR', transient: false });
    expect(mapDynamoDbError(throttled, context)).toMatchObject({ code: 'STORAGE_ERROR', transient: true });
  });

  it('maps a missing table and other AWS errors to STORAGE_ERROR (not transient)', () => {
    expect(mapDynamoDbError(awsError('ResourceNotFoundException', 'Requested resource not found'), context)).toMatchObject({
      code: 'STORAGE_ERROR',
      transient: false,
      message: 'DynamoDB table hf-requests: the table does not exist (Requested resource not found)',
    });
    expect(mapDynamoDbError(awsError('ValidationException', 'Item size has exceeded the maximum allowed size'), context)).toMatchObject({
      code: 'STORAGE_ERROR',
      transient: false,
      message: expect.stringContaining('Item size has exceeded'),
    });
  });

  it('passes HostFactoryErrors and programming errors through unchanged', () => {
    const own = new HostFactoryError('CONFLICT', 'x');
    const bug = new TypeError('cannot read properties of undefined');
    const badArgument = Object.assign(new TypeError('The "path" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(mapDynamoDbError(own, context)).toBe(own);
    expect(mapDynamoDbError(bug, context)).toBe(bug);
    expect(mapDynamoDbError(badArgument, context)).toBe(badArgument);
  });

  it('toStorageError turns even unknown errors into STORAGE_ERROR', () => {
    const bug = new TypeError('boom');
    expect(toStorageError(bug, { action: 'CreateTable', tables: ['t1', 't2'] })).toMatchObject({
      code: 'STORAGE_ERROR',
      message: 'DynamoDB tables t1, t2: CreateTable failed (boom)',
      cause: bug,
    });
  });
});
