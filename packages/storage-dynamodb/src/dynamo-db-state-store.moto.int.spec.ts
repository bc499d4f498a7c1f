import { createServer } from 'node:net';
import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { aMachine, aReturnRequest, anAcquireRequest } from '@open-hostfactory/core/testing';
import { createDynamoDbClient } from './dynamo-db-client';
import { DynamoDbStateStore } from './dynamo-db-state-store';
import { machineToItem } from './machine-item';
import { deleteTables, motoClient, uniquePrefix } from '../test/moto';

const client = motoClient();
const prefixes: string[] = [];

function newPrefix(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deleteTables(client, prefix)));
  client.destroy();
});

/** A loopback port that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('DynamoDbStateStore on moto_server', () => {
  describe('tables', () => {
    it('creates the tables on first use with on-demand billing, key-only indexes, TTL and PITR', async () => {
      const prefix = newPrefix('create');
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws', backupEnabled: true });
      await store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] });
      expect(await store.getRequests(['req-1'])).toHaveLength(1);

      for (const table of [store.tables.requests, store.tables.machines, store.tables.cache]) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
        expect(Table).toMatchObject({ TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
        expect(Table!.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
        expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
        const backups = await client.send(new DescribeContinuousBackupsCommand({ TableName: table }));
        expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
      }
      const { Table: machines } = await client.send(new DescribeTableCommand({ TableName: store.tables.machines }));
      expect(machines!.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual(
        ['byName', 'byRequest', 'byReturnRequest', 'byTemplate', 'held'].sort(),
      );
      await store.close();
    });

    it('lets several stores (processes) set up the same new tables at once', async () => {
      const prefix = newPrefix('race');
      const stores = Array.from(
        { length: 4 },
        (_, i) => new DynamoDbStateStore({ client: motoClient(), tablePrefix: prefix, providerName: `p${i}`, ownsClient: true }),
      );
      try {
        await Promise.all(stores.map((store, i) => store.write({ requests: [anAcquireRequest({ requestId: `req-${i}` })] })));
        for (const [i, store] of stores.entries()) {
          expect((await store.listRequests({})).map((r) => r.requestId)).toEqual([`req-${i}`]);
        }
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it('reports a table of the prefix that has another key schema (STORAGE_ERROR naming it)', async () => {
      const prefix = newPrefix('schema');
      await client.send(
        new CreateTableCommand({
          TableName: `${prefix}-requests`,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      );
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws' });
      await expect(store.getRequests(['req-1'])).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining(`${prefix}-requests exists with another schema`),
      });
      await expect(store.ensureTables()).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining(`${prefix}-requests exists with another schema: key schema is (id HASH)`),
      });
    });

    it('creates nothing with createTables off, failing with STORAGE_ERROR', async () => {
      const prefix = newPrefix('nocreate');
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws', createTables: false });
      await expect(store.getCached('k', 0)).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining(`${prefix}-cache does not exist`),
      });
      await expect(client.send(new DescribeTableCommand({ TableName: `${prefix}-cache` }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('isolation of provider instances sharing the tables', () => {
    it('never lets one provider see or overwrite the records of another', async () => {
      const prefix = newPrefix('isolation');
      const a = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws-a' });
      const b = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws-b' });
      const records = {
        requests: [anAcquireRequest({ requestId: 'req-1', templateId: 'T' }), aReturnRequest({ requestId: 'ret-1' })],
        machines: [
          aMachine({ machineId: 'i-1', requestId: 'req-1', templateId: 'T', name: 'host-1', returnRequestId: 'ret-1' }),
          aMachine({ machineId: 'i-2', requestId: 'req-1', templateId: 'T', name: 'host-2' }),
        ],
      };
      await a.write(records);
      await a.putCached('k', 'from-a', Number.MAX_SAFE_INTEGER);

      const query = {
        machineIds: ['i-1', 'i-2'],
        names: ['host-1', 'host-2'],
        requestIds: ['req-1'],
        returnRequestIds: ['ret-1'],
        templateIds: ['T'],
        held: true,
      };
      expect(await b.getRequests(['req-1', 'ret-1'])).toEqual([]);
      expect(await b.listRequests({})).toEqual([]);
      expect(await b.listRequests({ templateId: 'T' })).toEqual([]);
      expect(await b.getMachines(query)).toEqual([]);
      expect(await b.getCached('k', 0)).toBeUndefined();

      // The same ids are inserts for b (version 0), not conflicts with a's records.
      await b.write(records);
      await b.putCached('k', 'from-b', Number.MAX_SAFE_INTEGER);
      const [bRequest] = await b.getRequests(['req-1']);
      await b.write({ requests: [{ ...bRequest!, message: 'changed by b' }] });

      expect((await a.getRequests(['req-1']))[0]).toMatchObject({ version: 1, message: '' });
      expect((await b.getRequests(['req-1']))[0]).toMatchObject({ version: 2, message: 'changed by b' });
      expect(await a.listRequests({})).toHaveLength(2);
      expect((await a.getMachines(query)).map((m) => m.machineId)).toEqual(['i-1', 'i-2']);
      expect((await a.getMachines({ held: true })).map((m) => m.machineId)).toEqual(['i-2']);
      expect(await a.getCached('k', 0)).toBe('from-a');
      expect(await b.getCached('k', 0)).toBe('from-b');
    });
  });

  describe('faults', () => {
    it('fails with transient STORAGE_ERROR naming table and endpoint when DynamoDB is unreachable', async () => {
      const port = await closedPort();
      const unreachable = createDynamoDbClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        maxAttempts: 1,
        connectionTimeoutMs: 1000,
      });
      const store = new DynamoDbStateStore({ client: unreachable, tablePrefix: 'ohf-unreachable', providerName: 'aws' });
      try {
        for (const call of [
          () => store.getRequests(['req-1']),
          () => store.write({ requests: [anAcquireRequest()] }),
          () => store.getCached('k', 0),
        ]) {
          await expect(call()).rejects.toMatchObject({
            name: 'HostFactoryError',
            code: 'STORAGE_ERROR',
            transient: true,
            message: expect.stringMatching(new RegExp(`DynamoDB table ohf-unreachable-\\w+: the DynamoDB endpoint .*unreachable.*ECONNREFUSED`)),
            cause: expect.anything(),
          });
        }
      } finally {
        unreachable.destroy();
      }
    });

    it('fails with STORAGE_ERROR naming table, key and attribute on a corrupt item', async () => {
      const prefix = newPrefix('corrupt');
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws' });
      await store.write({ machines: [aMachine({ machineId: 'i-1', requestId: 'req-1' })] });
      const item = machineToItem(aMachine({ machineId: 'i-1', requestId: 'req-1', version: 1 }), {
        providerName: 'aws',
        retentionSeconds: 1,
      });
      await client.send(new PutItemCommand({ TableName: store.tables.machines, Item: { ...item, weight: { S: 'heavy' } } }));

      await expect(store.getMachines({ requestIds: ['req-1'] })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: `Corrupt item in DynamoDB table ${prefix}-machines (aws#i-1): attribute weight holds {"S":"heavy"}`,
        details: { table: `${prefix}-machines`, key: 'aws#i-1', attribute: 'weight' },
      });
    });
  });

  describe('TTL attributes', () => {
    it('stores expiresAt on closed requests and finished machines, and on cache items; never on requests holding machines', async () => {
      const prefix = newPrefix('ttl');
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws', retentionDays: 2 });
      await store.write({
        requests: [
          anAcquireRequest({ requestId: 'req-1', status: 'complete', updatedAt: 1_000_000, closedAt: 1_000_000 }),
          anAcquireRequest({ requestId: 'req-2', status: 'running' }),
          anAcquireRequest({ requestId: 'req-3', status: 'complete', updatedAt: 1_000_000 }),
        ],
        machines: [aMachine({ machineId: 'i-1', gone: true, status: 'terminated', updatedAt: 2_000_000 })],
      });
      await store.putCached('k', 'v', 5_000_500);
      const get = async (table: string, pk: string): Promise<string | undefined> =>
        (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }))).Item?.['expiresAt']?.N;
      expect(await get(store.tables.requests, 'aws#req-1')).toBe(String(1_000 + 2 * 86_400));
      expect(await get(store.tables.requests, 'aws#req-2')).toBeUndefined();
      expect(await get(store.tables.requests, 'aws#req-3')).toBeUndefined();
      expect(await get(store.tables.machines, 'aws#i-1')).toBe(String(2_000 + 2 * 86_400));
      expect(await get(store.tables.cache, 'aws#k')).toBe('5001');
    });
  });

  describe('large writes', () => {
    it(`stores a write of more than 100 records (split into transactions of 100) and reads it back`, async () => {
      const prefix = newPrefix('large');
      const store = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName: 'aws' });
      const machines = Array.from({ length: 150 }, (_, i) =>
        aMachine({ machineId: `i-${String(i).padStart(4, '0')}`, requestId: 'req-1', name: `host-${i}`, createdAt: i }),
      );

      const stored = await store.write({ requests: [anAcquireRequest({ requestId: 'req-1', machineCount: 150 })], machines });
      expect(stored.machines).toHaveLength(150);

      const found = await store.getMachines({ requestIds: ['req-1'] });
      expect(found.map((m) => m.machineId)).toEqual(machines.map((m) => m.machineId));
      expect(await store.getMachines({ held: true })).toHaveLength(150);
      expect(await store.getRequests(['req-1'])).toHaveLength(1);

      // A conflict in the last transaction (the request) leaves the machines of the earlier ones written.
      const updated = found.map((m) => ({ ...m, message: 'updated' }));
      await expect(store.write({ requests: [anAcquireRequest({ requestId: 'req-1', version: 7 })], machines: updated })).rejects.toMatchObject({
        code: 'CONFLICT',
        details: expect.objectContaining({ storedRecords: 100, totalRecords: 151 }),
      });
      const after = await store.getMachines({ requestIds: ['req-1'] });
      expect(after.filter((m) => m.message === 'updated')).toHaveLength(100);
    }, 30_000);
  });
});
