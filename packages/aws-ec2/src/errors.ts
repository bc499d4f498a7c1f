import { awsErrorCode, mapAwsError, type ServiceCodes } from '@open-hostfactory/aws-common';
import type { HostFactoryError } from '@open-hostfactory/core';

/**
 * EC2's own codes on top of what aws-common classifies for every service (throttling,
 * credentials, unreachable endpoints, service failures): capacity, quotas, launch settings and
 * unknown resources. By the AWS error code, never by `instanceof`.
 */
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
  'SpotMaxPriceTooLow',
]);

const QUOTA = new Set(['InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded', 'MaxSpotFleetRequestCountExceeded']);

/** Errors about the launch settings of a template (image, subnet, groups, key, launch template…). */
const LAUNCH_SETTINGS =
  /^(InvalidParameter\w*|MissingParameter|UnknownParameter|InvalidAMIID|InvalidAMIName|InvalidSubnetID|InvalidSubnet|InvalidGroup|InvalidGroupId|InvalidSecurityGroupID|InvalidKeyPair|InvalidLaunchTemplateId|InvalidLaunchTemplateName|InvalidPlacementGroup|InvalidBlockDeviceMapping|InvalidUserData|InvalidInstanceType|InvalidVpcID|InvalidIamInstanceProfile|InvalidSpotInstanceType|InvalidInput|VPCIdNotSpecified|VPCResourceNotSpecified)(\.|$)/;

const ec2Codes: ServiceCodes = (code) => {
  if (CAPACITY.has(code)) return { code: 'INSUFFICIENT_CAPACITY' };
  if (QUOTA.has(code) || /LimitExceeded$/.test(code)) return { code: 'QUOTA_EXCEEDED' };
  if (LAUNCH_SETTINGS.test(code)) return { code: 'TEMPLATE_INVALID' };
  if (/NotFound$/.test(code)) return { code: 'NOT_FOUND' };
  return undefined;
};

export { awsErrorCode };

/**
 * Turns anything an EC2 call threw into a HostFactoryError (HostFactoryErrors pass unchanged).
 * `action` names the EC2 action (e.g. `RunInstances`) for the message and details.
 */
export function mapEc2Error(error: unknown, action: string): HostFactoryError {
  return mapAwsError(error, 'EC2', action, ec2Codes);
}

/**
 * EC2 codes by which the cloud refuses one pool (an instance type in a zone or subnet, bought one
 * way) rather than the request: no capacity, no spot capacity or price, the type not offered
 * there, the subnet out of addresses, the spot instance count reached. Launches remember the pool
 * as unavailable and use the others.
 */
export const POOL_REFUSALS: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'capacity-not-available',
  'MaxSpotInstanceCountExceeded',
  'SpotMaxPriceTooLow',
  'price-too-low',
  'Unsupported',
]);

/** True when an EC2 error code refuses a pool (see {@link POOL_REFUSALS}). */
export function isPoolRefusal(code: string | undefined): boolean {
  return code !== undefined && code !== '' && POOL_REFUSALS.has(code);
}

/** `InsufficientInstanceCapacity: We currently do not have sufficient...` (at most 200 characters). */
export function refusalReason(error: unknown, code = awsErrorCode(error)): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${code || 'refused'}: ${message}`.slice(0, 200);
}
