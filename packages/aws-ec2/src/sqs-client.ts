import { SQSClient } from '@aws-sdk/client-sqs';
import type { Ec2ClientOptions } from './ec2-client';

/**
 * The SQS client of a region, for reading EC2 events (see `Ec2EventNotices`); same options
 * and bounded timeouts as EC2's client.
 */
export function createSqsClient(options: Ec2ClientOptions): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 20000,
    },
  });
}
