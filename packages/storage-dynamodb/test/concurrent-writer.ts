// Child process of dynamo-db-state-store.concurrency.int.spec.ts: one of several writers sharing
// the tables of one prefix on moto_server (core/testing's runConcurrentWriter). Bundled with
// esbuild at test time and run with `node concurrent-writer.js '<json>'`.
import { concurrentWriterMain, type ConcurrentWriterArgs } from '@open-hostfactory/core/testing';
import { createDynamoDbClient } from '../src/dynamo-db-client';
import { DynamoDbStateStore } from '../src/dynamo-db-state-store';

export type WriterArgs = ConcurrentWriterArgs & {
  readonly endpoint: string;
  readonly tablePrefix: string;
  readonly providerName: string;
};

concurrentWriterMain((raw) => {
  const args = raw as unknown as WriterArgs;
  const client = createDynamoDbClient({
    region: 'us-east-1',
    endpoint: args.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  return new DynamoDbStateStore({ client, tablePrefix: args.tablePrefix, providerName: args.providerName, ownsClient: true });
});
