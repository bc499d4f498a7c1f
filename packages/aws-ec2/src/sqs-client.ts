import { SQSClient } from '@aws-sdk/client-sqs';
import { sdkClientConfig, type Ec2ClientOptions } from './ec2-client';

/**
 * The SQS client of a region, for reading EC2 events (see `Ec2EventNotices`); same options
 * and bounded timeouts as EC2's client.
 */
export function createSqsClient(options: Ec2ClientOptions): SQSClient {
  return new SQSClient(sdkClientConfig(options));
}
