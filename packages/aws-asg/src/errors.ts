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

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

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
  const systemCode = (error as { code?: unknown } | null)?.code;
  if (typeof systemCode === 'string' && NETWORK_CODES.has(systemCode)) {
    return new HostFactoryError('PROVIDER_ERROR', `${action}: the AWS endpoint is unreachable (${systemCode})`, {
      cause: error,
      transient: true,
      details: { action, awsCode: systemCode },
    });
  }
  const known = awsCode ? BY_CODE[awsCode] : undefined;
  const code = known?.code ?? 'PROVIDER_ERROR';
  return new HostFactoryError(code, `${action}: ${awsCode ? `${awsCode}: ` : ''}${message}`, {
    cause: error,
    details: { action, ...(awsCode ? { awsCode } : {}) },
    ...(known?.transient === undefined ? {} : { transient: known.transient }),
  });
}
