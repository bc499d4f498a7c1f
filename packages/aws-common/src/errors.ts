import { HostFactoryError, isHostFactoryError, type ErrorCode } from '@open-hostfactory/core';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * What every AWS adapter needs to know about a failed SDK call, whatever the service: its AWS
 * error code, and its kind, read by the SDK's own retry classifiers where they fit (throttling,
 * transient, server) plus the codes the SDK does not list. Services map their own codes first
 * (capacity, quota, launch settings…); everything else takes the kind's core code.
 */
export type AwsFailureKind = 'throttled' | 'auth' | 'unreachable' | 'server' | 'client';

export interface AwsFailure {
  /** The AWS error code (`InsufficientInstanceCapacity`), or '' (a socket error). */
  readonly awsCode: string;
  readonly kind: AwsFailureKind;
  readonly message: string;
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  /** For `unreachable`: the system code (ECONNREFUSED…) or the SDK's timeout name. */
  readonly networkCode?: string;
  /** For `unreachable`: `host:port` of the connection that failed, when known. */
  readonly endpoint?: string;
}

/** Throttling codes some services answer that the SDK's list lacks. */
const THROTTLING = new Set(['RequestThrottled', 'RequestThrottledException', 'SlowDown', 'Throttled']);

/** Credentials, signatures and permissions, across EC2, Auto Scaling, SSM, SQS, STS and DynamoDB. */
const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'CredentialsProviderError',
  'OptInRequired',
  'Blocked',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ServiceLinkedRoleFailure',
]);

/** Service failures by name (some arrive without a 5xx status, e.g. from moto). */
const SERVER = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'ServerInternal',
]);

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
/** The SDK may wrap a socket error ("AWS SDK error wrapper for Error: connect ECONNREFUSED …"). */
const NETWORK_MESSAGE = /socket hang up|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|getaddrinfo/i;

interface ErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $fault?: unknown;
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

/** The AWS error code of an SDK error: `Code` (some XML errors), else `name` unless it is plain `Error`; else ''. */
export function awsErrorCode(error: unknown): string {
  const shape = shapeOf(error);
  if (typeof shape.Code === 'string' && shape.Code) return shape.Code;
  if (typeof shape.name === 'string' && shape.name !== 'Error') return shape.name;
  return '';
}

/** The Node system error behind a failed connection (possibly wrapped, or one of an AggregateError). */
function systemError(error: unknown, depth = 0): ErrorShape | undefined {
  if (depth > 3) return undefined;
  const shape = shapeOf(error);
  // ECONNREFUSED, ETIMEDOUT… (not Node's ERR_* codes of programming errors)
  if (typeof shape.code === 'string' && /^E[A-Z]+$/.test(shape.code)) return shape;
  if (Array.isArray(shape.errors)) {
    for (const inner of shape.errors) {
      const found = systemError(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return shape.cause === undefined ? undefined : systemError(shape.cause, depth + 1);
}

/** The network code of a call that never got an HTTP answer (refused, reset, timed out…); else undefined. */
function networkFailure(error: unknown, awsCode: string): string | undefined {
  const shape = shapeOf(error);
  if (shape.$metadata?.httpStatusCode !== undefined) return undefined;
  if (NETWORK_NAMES.has(awsCode)) return awsCode;
  const system = systemError(error);
  if (system !== undefined) return system.code as string;
  const message = typeof shape.message === 'string' ? shape.message : '';
  return NETWORK_MESSAGE.exec(message)?.[0];
}

function endpointOf(error: unknown): string | undefined {
  const system = systemError(error);
  if (system !== undefined && typeof system.address === 'string') {
    return typeof system.port === 'number' ? `${system.address}:${system.port}` : system.address;
  }
  const message = shapeOf(error).message;
  const match = typeof message === 'string' ? /\b(?:connect )?E[A-Z]+ (\[?[\w.:-]*[\w\]]:\d+)/.exec(message) : null;
  return match?.[1];
}

/** Reads a failed SDK call (see {@link AwsFailure}). */
export function classifyAwsError(error: unknown): AwsFailure {
  const shape = shapeOf(error);
  const awsCode = awsErrorCode(error);
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const status = shape.$metadata?.httpStatusCode;
  const base = {
    awsCode,
    message,
    ...(status !== undefined ? { httpStatusCode: status } : {}),
    ...(shape.$metadata?.requestId ? { requestId: shape.$metadata.requestId } : {}),
  };
  const sdkView = typeof error === 'object' && error !== null ? (error as Parameters<typeof isThrottlingError>[0]) : undefined;
  if (THROTTLING.has(awsCode) || (sdkView && isThrottlingError(sdkView))) return { ...base, kind: 'throttled' };
  if (AUTH.has(awsCode)) return { ...base, kind: 'auth' };
  const network = networkFailure(error, awsCode);
  if (network) {
    const endpoint = endpointOf(error);
    return { ...base, kind: 'unreachable', networkCode: network, ...(endpoint ? { endpoint } : {}) };
  }
  if (SERVER.has(awsCode) || shape.$fault === 'server' || (sdkView && (isServerError(sdkView) || isTransientError(sdkView)))) {
    return { ...base, kind: 'server' };
  }
  return { ...base, kind: 'client' };
}

/** A service's own reading of its codes: the core code (and transience) for an AWS code, or undefined. */
export type ServiceCodes = (awsCode: string) => { code: ErrorCode; transient?: boolean } | undefined;

/**
 * Turns anything an SDK call of `service` threw into a HostFactoryError (HostFactoryErrors pass
 * unchanged): throttling is THROTTLED, credentials AUTH_ERROR, then the service's own codes,
 * then an unreachable endpoint or a service failure is a transient PROVIDER_ERROR, and anything
 * else a PROVIDER_ERROR. The SDK error is kept as `cause`; `details` name the action, the AWS
 * code, request id and HTTP status.
 */
export function mapAwsError(error: unknown, service: string, action: string, serviceCodes?: ServiceCodes): HostFactoryError {
  if (isHostFactoryError(error)) return error;
  const failure = classifyAwsError(error);
  const details: Record<string, unknown> = { action };
  if (failure.awsCode) details['awsErrorCode'] = failure.awsCode;
  if (failure.requestId) details['awsRequestId'] = failure.requestId;
  if (failure.httpStatusCode !== undefined) details['httpStatusCode'] = failure.httpStatusCode;
  const label = failure.awsCode ? `${failure.awsCode}: ` : '';
  const make = (code: ErrorCode, message: string, transient?: boolean): HostFactoryError =>
    new HostFactoryError(code, message, { cause: error, details, ...(transient === undefined ? {} : { transient }) });
  const plain = `${service} ${action} failed: ${label}${failure.message}`;
  if (failure.kind === 'throttled') return make('THROTTLED', plain);
  if (failure.kind === 'auth') return make('AUTH_ERROR', plain);
  const own = failure.awsCode ? serviceCodes?.(failure.awsCode) : undefined;
  if (own) return make(own.code, plain, own.transient);
  if (failure.kind === 'unreachable') {
    details['networkCode'] = failure.networkCode;
    if (failure.endpoint) details['endpoint'] = failure.endpoint;
    return make(
      'PROVIDER_ERROR',
      `${service} ${action} failed: the AWS endpoint${failure.endpoint ? ` ${failure.endpoint}` : ''} is unreachable (${failure.networkCode}: ${failure.message})`,
      true,
    );
  }
  return make('PROVIDER_ERROR', plain, failure.kind === 'server' ? true : undefined);
}
