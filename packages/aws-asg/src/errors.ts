import { awsErrorCode, mapAwsError, type ServiceCodes } from '@open-hostfactory/aws-common';
import type { ErrorCode, HostFactoryError } from '@open-hostfactory/core';

/**
 * Auto Scaling's own codes on top of what aws-common classifies for every service (throttling,
 * credentials, unreachable endpoints, service failures). By the AWS error code, never by `instanceof`.
 */
const BY_CODE: Readonly<Record<string, { code: ErrorCode; transient?: boolean }>> = {
  // A group another call is changing right now: the same call succeeds a little later.
  ResourceContention: { code: 'THROTTLED' },
  ScalingActivityInProgress: { code: 'THROTTLED' },
  LimitExceeded: { code: 'QUOTA_EXCEEDED' },
  ValidationError: { code: 'TEMPLATE_INVALID' },
  AlreadyExists: { code: 'CONFLICT' },
  ResourceInUse: { code: 'CONFLICT' },
};

const asgCodes: ServiceCodes = (code) => BY_CODE[code];

/** The AWS error code of an SDK error, or undefined. */
export function asgErrorCode(error: unknown): string | undefined {
  return awsErrorCode(error) || undefined;
}

/** Turns anything an Auto Scaling call threw into a HostFactoryError (HostFactoryErrors pass unchanged). */
export function mapAsgError(error: unknown, action: string): HostFactoryError {
  return mapAwsError(error, 'Auto Scaling', action, asgCodes);
}
