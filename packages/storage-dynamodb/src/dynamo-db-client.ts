import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAwsClient, type AwsClientOptions } from '@open-hostfactory/aws-common';

/**
 * The narrow DynamoDB client the store depends on: only `send`. Tests hand in a fake
 * (`FakeAwsClient` of aws-common/testing); the app builds a real one with {@link createDynamoDbClient}.
 */
export type DynamoDbClientLike = Pick<DynamoDBClient, 'send'>;

/** The client settings every AWS adapter shares (aws-common). */
export type DynamoDbClientOptions = AwsClientOptions;

/** Builds the DynamoDB client of a region. The caller owns it (`client.destroy()`). */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  return createAwsClient((config) => new DynamoDBClient(config), 'dynamodb', options);
}
