import { ContainerModule } from 'inversify';
import type { AutoScalingClientLike } from './asg-client';
import { AsgProvider, type InstanceAccess, type LaunchTemplateSource } from './asg-provider';

export interface AsgCapacityModuleOptions {
  /** The Auto Scaling client of the region (built by the app, e.g. with `createAutoScalingClient`). */
  readonly client: AutoScalingClientLike;
  /** HF_PROVIDER_NAME: part of every group name and of the `hf:provider-name` tag. */
  readonly providerName: string;
  /** The launch templates shared with the fleet shapes (aws-ec2's `LaunchTemplates`). */
  readonly launchTemplates: LaunchTemplateSource;
  /** The EC2 instance view (aws-ec2's `Ec2Instances`). */
  readonly instances: InstanceAccess;
  /** AWS_SPOT_TERMINATE_ON_RECLAIM (see {@link AsgProviderOptions.terminateOnReclaim}); default false. */
  readonly terminateOnReclaim?: boolean;
}

/**
 * Binds {@link AsgProvider} as a singleton. The app picks providers by class (e.g. its
 * CapacityProviders for `ASG`) and hands in the EC2-side helpers, since adapters never import
 * each other.
 */
export function asgCapacityModule(options: AsgCapacityModuleOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(AsgProvider)
      .toDynamicValue(
        () =>
          new AsgProvider(options.client, options.launchTemplates, options.instances, {
            providerName: options.providerName,
            terminateOnReclaim: options.terminateOnReclaim ?? false,
          }),
      )
      .inSingletonScope();
  });
}
