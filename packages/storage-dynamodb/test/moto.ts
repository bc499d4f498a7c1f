// Helpers of the *.int.spec.ts tests: a client of the moto_server that jest's globalSetup started.
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../src/dynamo-db-client';
import { tableNames } from '../src/table-design';

export function motoEndpoint(): string {
  const endpoint = process.env['MOTO_ENDPOINT'];
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set (jest globalSetup starts moto_server)');
  return endpoint;
}

export function motoClient(): DynamoDBClient {
  return createDynamoDbClient({
    region: 'us-east-1',
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  });
}

/** A table prefix of its own, so that runs and tests sharing one moto_server never collide. */
export function uniquePrefix(label: string): string {
  return `ohf-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes the tables of a prefix (moto is shared: never reset it). */
export async function deleteTables(client: DynamoDBClient, prefix: string): Promise<void> {
  const names = tableNames(prefix);
  await Promise.all(
    [names.requests, names.machines, names.cache].map((table) => client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined)),
  );
}
