// Public API of @open-hostfactory/aws-asg. Explicit re-exports only.
export { createAutoScalingClient } from './asg-client';
export { AsgProvider } from './asg-provider';
export { asgCapacityModule } from './asg-module';
