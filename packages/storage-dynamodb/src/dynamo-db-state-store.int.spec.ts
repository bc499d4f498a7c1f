import { randomBytes } from 'node:crypto';
import { describeStateStoreContract } from '@open-hostfactory/core/testing';
import { createDynamoDbClient } from './dynamo-db-client';
import { DynamoDbStateStore } from './dynamo-db-state-store';
import { deleteTables, motoClient, motoEndpoint, uniquePrefix } from '../test/moto';
import { startSerializingProxy, type SerializingProxy } from '../../../tools/moto/serializing-proxy';

// One set of tables for the file; each test gets a provider name of its own, so it sees an empty
// store (the keys of every record are partitioned by provider name).
const prefix = uniquePrefix('contract');
// The contract races two writers: moto_server's conditional writes are only atomic when its
// requests come one at a time (see the proxy), as DynamoDB's are.
let proxy: SerializingProxy | undefined;
let client: ReturnType<typeof createDynamoDbClient> | undefined;

async function proxiedClient(): Promise<ReturnType<typeof createDynamoDbClient>> {
  if (client === undefined) {
    proxy = await startSerializingProxy(motoEndpoint());
    client = createDynamoDbClient({
      region: 'us-east-1',
      endpoint: proxy.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    });
  }
  return client;
}

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  const direct = motoClient();
  await deleteTables(direct, prefix);
  direct.destroy();
});

describeStateStoreContract('DynamoDbStateStore (moto_server)', async () => ({
  store: new DynamoDbStateStore({
    client: await proxiedClient(),
    tablePrefix: prefix,
    providerName: `aws-${randomBytes(4).toString('hex')}`,
  }),
}));
