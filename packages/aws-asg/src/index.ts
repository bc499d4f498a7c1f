// Public API of @open-hostfactory/aws-asg. Explicit re-exports only.
export { asgErrorCode, mapAsgError } from './errors';
export { createAutoScalingClient } from './asg-client';
export type { AutoScalingClientLike, AutoScalingClientOptions } from './asg-client';
export { AsgProvider, DESCRIBE_GROUPS_BATCH } from './asg-provider';
export type { AsgProviderOptions, InstanceReader, LaunchTemplateSource } from './asg-provider';
export { asgCapacityModule } from './asg-module';
export type { AsgCapacityModuleOptions } from './asg-module';
export { SUSPENDED_PROCESSES, groupInput, isWeighted, onDemandAllocationStrategy, onDemandPercentage, spotAllocationStrategy } from './group-input';
export type { GroupInputOptions } from './group-input';
export { attemptTag, groupTags } from './tags';
export type { GroupTagsInput } from './tags';
