import { SSMClient } from '@aws-sdk/client-ssm';
import { createAwsClient } from '@open-hostfactory/aws-common';
import type { Ec2ClientOptions } from './ec2-client';

// The SSM side of the EC2 adapters (resolving `imageId` parameters), in a module of its own that
// they import when a template names a parameter (`await import('./ssm-client')`); its SDK
// imports stay static, so the bundle keeps only the command named here.
export { GetParameterCommand } from '@aws-sdk/client-ssm';

/** The SSM client of a region; same options as EC2's. */
export function newSsmClient(options: Ec2ClientOptions): SSMClient {
  return createAwsClient((config) => new SSMClient(config), 'ssm', options);
}
