// Public API of @open-hostfactory/aws-ec2. Explicit re-exports only.
export { createEc2Client, createSsmClient } from './ec2-client';
export type { Ec2Client, Ec2ClientOptions } from './ec2-client';
export { awsErrorCode, mapEc2Error } from './errors';
export { ec2CapacityModule } from './ec2-module';
export type { Ec2CapacityModuleOptions } from './ec2-module';
export { Ec2InstanceTypeCatalog, INSTANCE_TYPES_BATCH } from './instance-type-catalog';
export { DEFAULT_ROOT_DEVICE, RunInstancesProvider, clientToken, subnetForAttempt, toBase64UserData } from './run-instances-provider';
export type { RunInstancesProviderOptions } from './run-instances-provider';
export { launchTags, tagValue } from './tags';
export type { Ec2Tag } from './tags';
export { Ec2Instances, FILTER_VALUES_LIMIT, TERMINATE_BATCH } from './ec2-instances';
export type { InstancesView } from './ec2-instances';
export { Ec2TemplateValidator, isSsmImageParameter } from './template-validator';
export { Ec2TemplateCheck, availabilityZones } from './template-check';
export type { TemplateCheckResult } from './template-check';
export type { SsmClient } from './template-validator';
export { LaunchTemplates, SETTINGS_HASH_PREFIX, settingsHash } from './launch-templates';
export type { LaunchTemplateRef, LaunchTemplatesOptions } from './launch-templates';
export {
  DEFAULT_FLEET_TYPE,
  Ec2FleetProvider,
  FLEET_IDS_KEY,
  FLEET_INSTANCE_TAGS_KEY,
  FLEET_TYPE_KEY,
  ON_DEMAND_ALLOCATION_STRATEGIES,
  SPOT_ALLOCATION_STRATEGIES,
  fleetIdsOf,
  targetCapacity,
} from './ec2-fleet-provider';
export type { Ec2FleetProviderOptions } from './ec2-fleet-provider';
export {
  DEFAULT_SPOT_FLEET_TYPE,
  SPOT_FLEET_ALLOCATION_STRATEGIES,
  SPOT_FLEET_BATCH,
  SPOT_FLEET_INSTANCE_TAGS_KEY,
  SPOT_FLEET_ON_DEMAND_ALLOCATION_STRATEGIES,
  SPOT_FLEET_REQUEST_IDS_KEY,
  SPOT_FLEET_REQUEST_ID_KEY,
  SPOT_FLEET_TYPE_KEY,
  SpotFleetProvider,
  spotFleetIdsOf,
  spotFleetOverrides,
  spotFleetType,
  validUntil,
} from './spot-fleet-provider';
export type { LaunchTemplateSource, SpotFleetProviderOptions } from './spot-fleet-provider';
export { claimFleetInstances, fleetTags, formatPrice, mapStrategy, onDemandUnits } from './fleet-common';
export {
  DEFAULT_MAX_AGE_SEC,
  DEFAULT_MAX_MESSAGES,
  Ec2EventNotices,
  REBALANCE_RECOMMENDATION,
  SPOT_INTERRUPTION_WARNING,
  SQS_BATCH,
  mapSqsError,
  parseEvent,
  strongerNotice,
} from './ec2-event-notices';
export type { Ec2EventNoticesOptions, EventNoticeSource, ReceivedNotices, SqsClient } from './ec2-event-notices';
export { createSqsClient } from './sqs-client';
