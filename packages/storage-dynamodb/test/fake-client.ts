// The DynamoDB side of aws-common's one fake client: a single handler for every command.
import { FakeAwsClient, type SentCommand } from '@open-hostfactory/aws-common/testing';
import type { DynamoDbClientLike } from '../src/dynamo-db-client';

export type Handler = (action: string, input: Record<string, unknown>, calls: readonly SentCommand[]) => unknown;

export interface FakeClient {
  readonly client: DynamoDbClientLike;
  readonly calls: SentCommand[];
  /** Actions in call order. */
  actions(): string[];
}

export function fakeClient(handler: Handler): FakeClient {
  const fake = new FakeAwsClient<DynamoDbClientLike>().otherwise(handler);
  return { client: fake.client, calls: fake.sent, actions: () => fake.actions() };
}

/** A DescribeTable answer for a table made exactly as `createTableInput` asks. */
export function describedAs(input: Record<string, unknown>, status = 'ACTIVE'): unknown {
  const gsis = (input['GlobalSecondaryIndexes'] as Record<string, unknown>[] | undefined)?.map((gsi) => ({
    ...gsi,
    IndexStatus: status,
  }));
  return {
    Table: {
      TableName: input['TableName'],
      TableStatus: status,
      KeySchema: input['KeySchema'],
      AttributeDefinitions: input['AttributeDefinitions'],
      ...(gsis ? { GlobalSecondaryIndexes: gsis } : {}),
    },
  };
}
