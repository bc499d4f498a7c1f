import { ContainerModule } from 'inversify';
import { systemClock, type Clock, type UnavailablePools } from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { Ec2FleetProvider } from './ec2-fleet-provider';
import { Ec2EventNotices, type SqsClient } from './ec2-event-notices';
import { Ec2Instances } from './ec2-instances';
import { Ec2InstanceTypeCatalog } from './instance-type-catalog';
import { LaunchTemplates } from './launch-templates';
import { RunInstancesProvider } from './run-instances-provider';
import { SpotFleetProvider } from './spot-fleet-provider';

export interface Ec2CapacityModuleOptions {
  /** The EC2 client of the region (built by the app, e.g. with `createEc2Client`). */
  readonly client: Ec2Client;
  /** HF_PROVIDER_NAME, written to every instance's `hf:provider-name` tag. */
  readonly providerName: string;
  readonly clock?: Clock;
  /**
   * An SQS queue receiving EventBridge's EC2 rebalance recommendations and spot interruption
   * warnings (AWS_EVENTS_QUEUE_URL), and how to make its client; without it, interruption notices
   * come from the spot request status only.
   */
  readonly events?: { readonly queueUrl: string; readonly sqs: () => SqsClient | Promise<SqsClient> };
  /** AWS_SPOT_TERMINATE_ON_RECLAIM: terminate a returned spot instance EC2 is reclaiming instead of leaving it to EC2. */
  readonly terminateOnReclaim?: boolean;
  /** The pools the cloud refused lately, shared through the store (AWS_UNAVAILABLE_CAPACITY_TTL_SEC); none known without it. */
  readonly pools?: UnavailablePools;
}

/**
 * Binds the EC2 capacity shapes and their shared pieces, all singletons: {@link Ec2Instances},
 * {@link LaunchTemplates} (shared by EC2 Fleet and, through the app, Auto Scaling),
 * {@link RunInstancesProvider}, {@link Ec2FleetProvider}, {@link SpotFleetProvider},
 * and {@link Ec2InstanceTypeCatalog}. The app picks them by class.
 */
export function ec2CapacityModule(options: Ec2CapacityModuleOptions): ContainerModule {
  const clock = options.clock ?? systemClock;
  const pools = options.pools ? { pools: options.pools } : {};
  return new ContainerModule(({ bind }) => {
    bind(Ec2Instances)
      .toDynamicValue(() => {
        const notices = options.events ? new Ec2EventNotices(options.events.sqs, { queueUrl: options.events.queueUrl, clock }) : undefined;
        return new Ec2Instances(options.client, clock, notices, options.terminateOnReclaim ?? false);
      })
      .inSingletonScope();
    bind(LaunchTemplates)
      .toDynamicValue(() => new LaunchTemplates(options.client, { providerName: options.providerName }))
      .inSingletonScope();
    bind(RunInstancesProvider)
      .toResolvedValue(
        (instances: Ec2Instances) => new RunInstancesProvider(options.client, { providerName: options.providerName, clock, instances, ...pools }),
        [Ec2Instances],
      )
      .inSingletonScope();
    bind(Ec2FleetProvider)
      .toResolvedValue(
        (launchTemplates: LaunchTemplates, instances: Ec2Instances) =>
          new Ec2FleetProvider(options.client, launchTemplates, { providerName: options.providerName, clock, instances, ...pools }),
        [LaunchTemplates, Ec2Instances],
      )
      .inSingletonScope();
    bind(SpotFleetProvider)
      .toResolvedValue(
        (launchTemplates: LaunchTemplates, instances: Ec2Instances) =>
          new SpotFleetProvider(options.client, launchTemplates, { providerName: options.providerName, clock, instances, ...pools }),
        [LaunchTemplates, Ec2Instances],
      )
      .inSingletonScope();
    bind(Ec2InstanceTypeCatalog)
      .toDynamicValue(() => new Ec2InstanceTypeCatalog(options.client))
      .inSingletonScope();
  });
}
