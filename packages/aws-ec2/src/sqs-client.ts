import { SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClient } from '@open-hostfactory/aws-common';
import type { Ec2ClientOptions } from './ec2-client';

/** The SQS client of a region, for reading EC2 events (see `Ec2EventNotices`); same options as EC2's. */
export function createSqsClient(options: Ec2ClientOptions): SQSClient {
  return createAwsClient((config) => new SQSClient(config), 'sqs', options);
}
