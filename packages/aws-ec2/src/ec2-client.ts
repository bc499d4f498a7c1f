import { EC2Client } from '@aws-sdk/client-ec2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createAwsClient, type AwsClientOptions, type DescribeRetry } from '@open-hostfactory/aws-common';

/**
 * The narrow EC2 client the adapters depend on: only `send`. Tests hand in a fake
 * (`FakeAwsClient` of aws-common/testing); the app builds a real one with {@link createEc2Client}.
 */
export type Ec2Client = Pick<EC2Client, 'send'>;

/** The client settings every AWS adapter shares (aws-common). */
export type Ec2ClientOptions = AwsClientOptions;

/** Builds the EC2 client of a region; Describe* requests retry as `describeRetry` says. */
export function createEc2Client(options: Ec2ClientOptions, describeRetry?: DescribeRetry): EC2Client {
  return createAwsClient((config) => new EC2Client(config), 'ec2', options, describeRetry);
}

/**
 * The SSM client of a region, for resolving `imageId` parameters; same options as EC2's. Its
 * module loads here, when a template first names a parameter, not with the EC2 adapters.
 */
export async function createSsmClient(options: Ec2ClientOptions): Promise<SSMClient> {
  return (await import('./ssm-client.js')).newSsmClient(options);
}

/**
 * The SQS client of a region, for reading EC2 events (see `Ec2EventNotices`); same options as
 * EC2's. Its module loads here, only in installations with an events queue.
 */
export async function createSqsClient(options: Ec2ClientOptions): Promise<SQSClient> {
  return (await import('./sqs-client.js')).newSqsClient(options);
}
