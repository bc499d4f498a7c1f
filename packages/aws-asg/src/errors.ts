import { HostFactoryError, isHostFactoryError, type ErrorCode } from '@open-hostfactory/core';

/**
 * Maps Auto Scaling SDK errors onto core's codes by the AWS error code (`name` / `Code`), never
 * by `instanceof`; the SDK error is kept as `cause`.
 */
const BY_CODE: Readonly<Record<string, { code: ErrorCode; transient?: boolean }>> = {
  Throttling: { code: 'THROTTLED' },
  ThrottlingException: { code: 'THROTTLED' },
  RequestLimitExceeded: { code: 'THROTTLED' },
  // A group another call is changing right now: the same call succeeds a little later.
  ResourceContention: { code: 'THROTTLED' },
  ScalingActivityInProgress: { code: 'THROTTLED' },
  LimitExceeded: { code: 'QUOTA_EXCEEDED' },
  AccessDenied: { code: 'AUTH_ERROR' },
  AccessDeniedException: { code: 'AUTH_ERROR' },
  InvalidClientTokenId: { code: 'AUTH_ERROR' },
  SignatureDoesNotMatch: { code: 'AUTH_ERROR' },
  ExpiredToken: { code: 'AUTH_ERROR' },
  CredentialsProviderError: { code: 'AUTH_ERROR' },
  ServiceLinkedRoleFailure: { code: 'AUTH_ERROR' },
  ValidationError: { code: 'TEMPLATE_INVALID' },
  AlreadyExists: { code: 'CONFLICT' },
  ResourceInUse: { code: 'CONFLICT' },
  InternalFailure: { code: 'PROVIDER_ERROR', transient: true },
  ServiceUnavailable: { code: 'PROVIDER_ERROR', transient: true },
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
/** The SDK may wrap a socket error (e.g. "AWS SDK error wrapper for Error: connect ECONNREFUSED …"). */
const NETWORK_MESSAGE = /socket hang up|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|getaddrinfo/i;

/** The network failure code when the call never got an HTTP answer; else undefined. */
function networkFailure(error: unknown, awsCode: string | undefined): string | undefined {
  const shape = (error ?? {}) as { code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code)) return shape.code;
  if (awsCode && NETWORK_NAMES.has(awsCode)) return awsCode;
  if (shape.$metadata?.httpStatusCode !== undefined) return undefined;
  const match = (error instanceof Error ? error.message : String(error)).match(NETWORK_MESSAGE);
  return match ? match[0] : undefined;
}

/** The AWS error code of an SDK error (`name`, or `Code` on older shapes). */
export function asgErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof candidate.Code === 'string') return candidate.Code;
  if (typeof candidate.name === 'string' && candidate.name !== 'Error') return candidate.name;
  return typeof candidate.code === 'string' ? candidate.code : undefined;
}

export function mapAsgError(error: unknown, action: string): HostFactoryError {
  if (isHostFactoryError(error)) return error;
  const awsCode = asgErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const network = networkFailure(error, awsCode);
  if (network) {
    return new HostFactoryError('PROVIDER_ERROR', `${action}: the AWS endpoint is unreachable (${network})`, {
      cause: error,
      transient: true,
      details: { action, awsCode: network },
    });
  }
  const known = awsCode ? BY_CODE[awsCode] : undefined;
  const code = known?.code ?? 'PROVIDER_ERROR';
  // An unknown error the service answered with a 5xx (an outage, or moto failing) may pass.
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const transient = known?.transient ?? (known === undefined && status !== undefined && status >= 500 ? true : undefined);
  return new HostFactoryError(code, `${action}: ${awsCode ? `${awsCode}: ` : ''}${message}`, {
    cause: error,
    details: { action, ...(awsCode ? { awsCode } : {}), ...(status !== undefined ? { httpStatusCode: status } : {}) },
    ...(transient === undefined ? {} : { transient }),
  });
}
