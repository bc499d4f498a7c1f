import { SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClient } from '@open-hostfactory/aws-common';
import type { Ec2ClientOptions } from './ec2-client';

// The SQS side of the EC2 adapters, in a module of its own that they import when an events queue
// is read (`await import('./sqs-client')`): installations without a queue never load it, and its
// SDK imports stay static, so the bundle keeps only the commands named here.
export { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

/** The SQS client of a region, for reading EC2 events (see `Ec2EventNotices`); same options as EC2's. */
export function newSqsClient(options: Ec2ClientOptions): SQSClient {
  return createAwsClient((config) => new SQSClient(config), 'sqs', options);
}
