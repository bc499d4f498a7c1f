import { HostFactoryError, isHostFactoryError, type ErrorCode } from '@open-hostfactory/core';

/**
 * Maps EC2 SDK errors onto core's codes by the AWS error code (`name` / `Code`), never by
 * `instanceof`. The SDK error is always kept as `cause`.
 */

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
  'SpotMaxPriceTooLow',
]);

const QUOTA = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'MaxSpotFleetRequestCountExceeded',
]);

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
]);

/** Errors about the launch settings of a template (image, subnet, groups, key, launch template…). */
const LAUNCH_SETTINGS =
  /^(InvalidParameter\w*|MissingParameter|UnknownParameter|InvalidAMIID|InvalidAMIName|InvalidSubnetID|InvalidSubnet|InvalidGroup|InvalidGroupId|InvalidSecurityGroupID|InvalidKeyPair|InvalidLaunchTemplateId|InvalidLaunchTemplateName|InvalidPlacementGroup|InvalidBlockDeviceMapping|InvalidUserData|InvalidInstanceType|InvalidVpcID|InvalidIamInstanceProfile|InvalidSpotInstanceType|InvalidInput|VPCIdNotSpecified|VPCResourceNotSpecified)(\.|$)/;

/** Node.js system error codes of a connection that did not get through. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK_MESSAGE = /socket hang up|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|getaddrinfo/i;

const SERVER_ERRORS = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'ServerInternal']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $fault?: unknown;
}

/** The AWS error code of an SDK error (`name`, or `Code` for some XML errors). */
export function awsErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const shape = error as SdkErrorShape;
  if (typeof shape.Code === 'string' && shape.Code) return shape.Code;
  if (typeof shape.name === 'string') return shape.name;
  return '';
}

function systemCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const code = (error as SdkErrorShape).code;
  return typeof code === 'string' ? code : '';
}

function isNetworkError(error: unknown, code: string): boolean {
  if (NETWORK_NAMES.has(code)) return true;
  const sys = systemCode(error);
  if (NETWORK_CODES.has(sys)) return true;
  const status = (error as SdkErrorShape).$metadata?.httpStatusCode;
  if (status !== undefined) return false;
  const message = error instanceof Error ? error.message : '';
  if (NETWORK_MESSAGE.test(message)) return true;
  // A NodeJS system error (E…) that never got an HTTP answer.
  return /^E[A-Z]+$/.test(sys);
}

function classify(error: unknown, code: string): { code: ErrorCode; transient?: boolean; unreachable?: boolean } {
  if (THROTTLING.has(code)) return { code: 'THROTTLED' };
  if (CAPACITY.has(code)) return { code: 'INSUFFICIENT_CAPACITY' };
  if (AUTH.has(code)) return { code: 'AUTH_ERROR' };
  if (QUOTA.has(code) || /LimitExceeded$/.test(code)) return { code: 'QUOTA_EXCEEDED' };
  if (LAUNCH_SETTINGS.test(code)) return { code: 'TEMPLATE_INVALID' };
  if (/NotFound$/.test(code)) return { code: 'NOT_FOUND' };
  if (isNetworkError(error, code)) return { code: 'PROVIDER_ERROR', transient: true, unreachable: true };
  const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
  if (SERVER_ERRORS.has(code) || (status !== undefined && status >= 500)) {
    return { code: 'PROVIDER_ERROR', transient: true };
  }
  return { code: 'PROVIDER_ERROR' };
}

/**
 * Turns anything an EC2 call threw into a HostFactoryError (HostFactoryErrors pass unchanged).
 * `action` names the EC2 action (e.g. `RunInstances`) for the message and details.
 */
export function mapEc2Error(error: unknown, action: string): HostFactoryError {
  if (isHostFactoryError(error)) return error;
  const code = awsErrorCode(error);
  const rawMessage = error instanceof Error ? error.message : String(error);
  const kind = classify(error, code);
  const metadata = typeof error === 'object' && error !== null ? (error as SdkErrorShape).$metadata : undefined;
  const details: Record<string, unknown> = { action };
  if (code) details['awsErrorCode'] = code;
  if (metadata?.requestId) details['awsRequestId'] = metadata.requestId;
  if (metadata?.httpStatusCode !== undefined) details['httpStatusCode'] = metadata.httpStatusCode;
  const label = code && code !== 'Error' ? `${code}: ` : '';
  const message = kind.unreachable
    ? `EC2 ${action} failed: the AWS endpoint is unreachable (${systemCode(error) || code || 'network error'}: ${rawMessage})`
    : `EC2 ${action} failed: ${label}${rawMessage}`;
  return new HostFactoryError(kind.code, message, {
    cause: error,
    details,
    ...(kind.transient === undefined ? {} : { transient: kind.transient }),
  });
}
