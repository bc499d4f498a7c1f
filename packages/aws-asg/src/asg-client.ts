import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createAwsClient, type AwsClientOptions, type DescribeRetry } from '@open-hostfactory/aws-common';

/**
 * The narrow Auto Scaling client the provider depends on: only `send`. Tests hand in a fake
 * (`FakeAwsClient` of aws-common/testing); the app builds a real one with {@link createAutoScalingClient}.
 */
export type AutoScalingClientLike = Pick<AutoScalingClient, 'send'>;

/** The client settings every AWS adapter shares (aws-common). */
export type AutoScalingClientOptions = AwsClientOptions;

/** Builds the Auto Scaling client of a region; Describe* requests retry as `describeRetry` says. */
export function createAutoScalingClient(options: AutoScalingClientOptions, describeRetry?: DescribeRetry): AutoScalingClient {
  return createAwsClient((config) => new AutoScalingClient(config), 'autoscaling', options, describeRetry);
}
