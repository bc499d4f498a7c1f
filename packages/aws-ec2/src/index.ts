// Public API of @open-hostfactory/aws-ec2. Explicit re-exports only.
export { createEc2Client, createSqsClient, createSsmClient } from './ec2-client';
export { ec2CapacityModule } from './ec2-module';
export { Ec2InstanceTypeCatalog } from './instance-type-catalog';
export { RunInstancesProvider } from './run-instances-provider';
export { Ec2Instances } from './ec2-instances';
export { Ec2TemplateValidator } from './template-validator';
export { Ec2TemplateCheck, availabilityZones } from './template-check';
export type { TemplateCheckResult } from './template-check';
export { LaunchTemplates } from './launch-templates';
export { Ec2FleetProvider } from './ec2-fleet-provider';
export { SpotFleetProvider } from './spot-fleet-provider';
