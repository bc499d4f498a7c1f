import { createTableInput, tableDesigns, tableNames } from './table-design';
import { aMachine, anAcquireRequest, FixedClock } from '@open-hostfactory/core/testing';
import { DynamoDbStateStore, type DynamoDbStateStoreOptions } from './dynamo-db-state-store';
import { awsError } from '@open-hostfactory/aws-common/testing';
import { describedAs, fakeClient, type Handler } from '../test/fake-client';

const PREFIX = 'hf-test';
const NAMES = tableNames(PREFIX);

function storeWith(handler: Handler, options: Partial<DynamoDbStateStoreOptions> = {}) {
  const fake = fakeClient(handler);
  const store = new DynamoDbStateStore({ client: fake.client, tablePrefix: PREFIX, providerName: 'aws', ...options });
  return { store, fake };
}

/** A DynamoDB where the tables do not exist until CreateTable; CreateTable makes them ACTIVE after one poll. */
function emptyAccount(overrides: Partial<Record<string, Handler>> = {}): Handler {
  const created = new Map<string, Record<string, unknown>>();
  const polls = new Map<string, number>();
  return (action, input, calls) => {
    const override = overrides[action];
    if (override) return override(action, input, calls);
    const table = input['TableName'] as string | undefined;
    switch (action) {
      case 'CreateTable':
        created.set(table!, input);
        return { TableDescription: { TableName: table, TableStatus: 'CREATING' } };
      case 'DescribeTable': {
        const made = created.get(table!);
        if (!made) throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);
        const seen = (polls.get(table!) ?? 0) + 1;
        polls.set(table!, seen);
        return describedAs(made, seen >= 2 ? 'ACTIVE' : 'CREATING');
      }
      case 'UpdateTimeToLive':
      case 'UpdateContinuousBackups':
        return {};
      default: {
        const tables =
          action === 'BatchGetItem'
            ? Object.keys(input['RequestItems'] as object)
            : action === 'TransactWriteItems'
              ? (input['TransactItems'] as { Put: { TableName: string } }[]).map((i) => i.Put.TableName)
              : [table!];
        if (tables.some((t) => !created.has(t))) throw awsError('ResourceNotFoundException', 'Cannot do operations on a non-existent table');
        if (action === 'BatchGetItem') return { Responses: { [tables[0]!]: [] }, UnprocessedKeys: {} };
        if (action === 'Query') return { Items: [] };
        if (action === 'GetItem') return {};
        return {};
      }
    }
  };
}

describe('DynamoDbStateStore (fake client)', () => {
  describe('configuration', () => {
    it('rejects a provider name with "#" or empty, a bad table prefix and a retention that is not positive', () => {
      const client = fakeClient(() => ({})).client;
      expect(() => new DynamoDbStateStore({ client, tablePrefix: 'p', providerName: 'a#b' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
      expect(() => new DynamoDbStateStore({ client, tablePrefix: 'p', providerName: '' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
      expect(() => new DynamoDbStateStore({ client, tablePrefix: 'bad prefix!', providerName: 'aws' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('bad prefix!') }),
      );
      expect(() => new DynamoDbStateStore({ client, tablePrefix: 'p', providerName: 'aws', retentionDays: 0 })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    });

    it('names its tables from the prefix and sends nothing until used', () => {
      const { store, fake } = storeWith(() => ({}));
      expect(store.tables).toEqual({ requests: 'hf-test-requests', machines: 'hf-test-machines', cache: 'hf-test-cache' });
      expect(fake.calls).toEqual([]);
    });
  });

  describe('tables', () => {
    it('describes nothing on the hot path when the tables exist', async () => {
      const { store, fake } = storeWith((action) =>
        action === 'BatchGetItem' ? { Responses: { [NAMES.requests]: [] } } : action === 'GetItem' ? {} : {},
      );
      await store.getRequests(['req-1']);
      await store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] });
      await store.getCached('k', 0);
      expect(fake.actions()).toEqual(['BatchGetItem', 'PutItem', 'GetItem']);
    });

    it('creates missing tables on first use (on demand, TTL, no PITR by default), waits until ACTIVE, then retries the call', async () => {
      const { store, fake } = storeWith(emptyAccount(), { tableWaitTimeoutMs: 10_000 });
      await store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] });

      const creates = fake.calls.filter((c) => c.action === 'CreateTable');
      expect(creates.map((c) => c.input)).toEqual(tableDesigns(NAMES).map(createTableInput));
      expect(creates.every((c) => c.input['BillingMode'] === 'PAY_PER_REQUEST')).toBe(true);
      const ttl = fake.calls.filter((c) => c.action === 'UpdateTimeToLive').map((c) => c.input);
      expect(ttl).toEqual(
        [NAMES.requests, NAMES.machines, NAMES.cache].map((TableName) => ({
          TableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
        })),
      );
      expect(fake.actions()).not.toContain('UpdateContinuousBackups');
      // Polled until ACTIVE: two DescribeTable per table.
      expect(fake.actions().filter((a) => a === 'DescribeTable')).toHaveLength(6);
      expect(fake.actions()[0]).toBe('PutItem');
      expect(fake.actions().at(-1)).toBe('PutItem');

      // Once per process.
      await store.getRequests(['req-1']);
      expect(fake.actions().filter((a) => a === 'CreateTable')).toHaveLength(3);
    });

    it('enables point-in-time recovery on each table with backupEnabled', async () => {
      const { store, fake } = storeWith(emptyAccount(), { backupEnabled: true });
      await store.getCached('k', 0);
      expect(fake.calls.filter((c) => c.action === 'UpdateContinuousBackups').map((c) => c.input)).toEqual(
        [NAMES.requests, NAMES.machines, NAMES.cache].map((TableName) => ({
          TableName,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        })),
      );
    });

    it('retries PITR while AWS says backups are not available yet, and tolerates TTL already enabled', async () => {
      let unavailable = 3;
      const { store, fake } = storeWith(
        emptyAccount({
          UpdateContinuousBackups: () => {
            if (unavailable-- > 0) throw awsError('ContinuousBackupsUnavailableException', 'Backups are being enabled');
            return {};
          },
          UpdateTimeToLive: () => {
            throw awsError('ValidationException', 'TimeToLive is already enabled');
          },
        }),
        { backupEnabled: true },
      );
      await expect(store.ensureTables()).resolves.toBeUndefined();
      expect(fake.actions().filter((a) => a === 'UpdateContinuousBackups')).toHaveLength(6);
    });

    it('tolerates a look-alike without TTL or PITR support', async () => {
      const { store } = storeWith(
        emptyAccount({
          UpdateContinuousBackups: () => {
            throw awsError('UnknownOperationException', 'not implemented');
          },
          UpdateTimeToLive: () => {
            throw awsError('UnknownOperationException', 'not implemented');
          },
        }),
        { backupEnabled: true },
      );
      await expect(store.ensureTables()).resolves.toBeUndefined();
    });

    it('fails with STORAGE_ERROR when PITR cannot be enabled (access denied)', async () => {
      const { store } = storeWith(
        emptyAccount({
          UpdateContinuousBackups: () => {
            throw awsError('AccessDeniedException', 'not authorized to perform dynamodb:UpdateContinuousBackups');
          },
        }),
        { backupEnabled: true },
      );
      await expect(store.ensureTables()).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        transient: false,
        message: expect.stringContaining('access denied'),
      });
    });

    it('accepts tables made by a concurrent creator (ResourceInUseException) and verifies them', async () => {
      const existing = new Map(tableDesigns(NAMES).map((d) => [d.name, createTableInput(d) as unknown as Record<string, unknown>]));
      const { store, fake } = storeWith((action, input) => {
        if (action === 'CreateTable') throw awsError('ResourceInUseException', 'Table already exists');
        if (action === 'DescribeTable') return describedAs(existing.get(input['TableName'] as string)!);
        return {};
      });
      await expect(store.ensureTables()).resolves.toBeUndefined();
      expect(fake.actions().filter((a) => a === 'DescribeTable')).toHaveLength(3);
    });

    it('names a table that exists with another key schema (STORAGE_ERROR)', async () => {
      const { store } = storeWith((action, input) => {
        if (action === 'CreateTable') throw awsError('ResourceInUseException', 'Table already exists');
        if (action === 'DescribeTable') {
          const design = tableDesigns(NAMES).find((d) => d.name === input['TableName'])!;
          const made = createTableInput(design) as unknown as Record<string, unknown>;
          if (design.name !== NAMES.machines) return describedAs(made);
          return describedAs({ ...made, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
        }
        return {};
      });
      await expect(store.ensureTables()).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringMatching(/hf-test-machines exists with another schema: key schema is \(id HASH\)/),
      });
    });

    it('reports a table of another schema met on the hot path (ValidationException → DescribeTable)', async () => {
      const { store, fake } = storeWith((action) => {
        if (action === 'Query') throw awsError('ValidationException', 'The table does not have the specified index: byStatus');
        if (action === 'DescribeTable') {
          return { Table: { TableName: NAMES.requests, TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } };
        }
        return {};
      });
      await expect(store.listRequests({ kind: 'acquire', statuses: ['running'], open: true })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining('hf-test-requests exists with another schema: index byStatus is missing'),
      });
      expect(fake.actions()).toEqual(['Query', 'DescribeTable']);
    });

    it('fails with STORAGE_ERROR when a table is missing and createTables is off, creating nothing', async () => {
      const { store, fake } = storeWith(emptyAccount(), { createTables: false });
      await expect(store.getRequests(['req-1'])).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining('hf-test-requests does not exist'),
      });
      expect(fake.actions()).toEqual(['BatchGetItem']);
    });

    it('fails with STORAGE_ERROR when the table is missing again after it was set up', async () => {
      let setUp = false;
      const handler = emptyAccount();
      const { store } = storeWith((action, input, calls) => {
        if (action === 'UpdateTimeToLive') setUp = true;
        if (setUp && action === 'GetItem') throw awsError('ResourceNotFoundException', 'Requested resource not found');
        return handler(action, input, calls);
      });
      await store.putCached('k', 'v', 1);
      await expect(store.getCached('k', 0)).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining('hf-test-cache: the table does not exist'),
      });
    });

    it('gives up waiting for ACTIVE after the bound (transient STORAGE_ERROR)', async () => {
      const clock = new FixedClock(0);
      const { store } = storeWith(
        (action, input) => {
          if (action === 'CreateTable') return {};
          if (action === 'DescribeTable') return describedAs(createTableInput(tableDesigns(NAMES)[2]!) as never, 'CREATING');
          if (action === 'GetItem') throw awsError('ResourceNotFoundException', 'not found');
          return input;
        },
        { tableWaitTimeoutMs: 500, clock },
      );
      await expect(store.getCached('k', 0)).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        transient: true,
        message: expect.stringContaining('is not ACTIVE after 500 ms'),
      });
    });
  });

  describe('writes', () => {
    it('puts one record with a condition on its absence (insert) or its version (update)', async () => {
      const { store, fake } = storeWith(() => ({}));
      await store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] });
      await store.write({ machines: [aMachine({ machineId: 'i-1', version: 4 })] });
      expect(fake.calls[0]!.input).toMatchObject({
        TableName: NAMES.requests,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
        Item: expect.objectContaining({ pk: { S: 'aws#req-1' }, version: { N: '1' } }),
      });
      expect(fake.calls[1]!.input).toMatchObject({
        TableName: NAMES.machines,
        ConditionExpression: '#version = :expected',
        ExpressionAttributeValues: { ':expected': { N: '4' } },
        Item: expect.objectContaining({ pk: { S: 'aws#i-1' }, version: { N: '5' } }),
      });
    });

    it('writes several records in one transaction with an idempotency token', async () => {
      const { store, fake } = storeWith(() => ({}));
      const stored = await store.write({
        requests: [anAcquireRequest({ requestId: 'req-1' })],
        machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-2', version: 2 })],
      });
      expect(fake.actions()).toEqual(['TransactWriteItems']);
      const input = fake.calls[0]!.input as { ClientRequestToken: string; TransactItems: { Put: { TableName: string } }[] };
      expect(input.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
      expect(input.TransactItems.map((i) => i.Put.TableName)).toEqual([NAMES.machines, NAMES.machines, NAMES.requests]);
      expect(stored.machines.map((m) => m.version)).toEqual([1, 3]);
    });

    it('maps a condition that failed in a transaction to CONFLICT naming the record', async () => {
      const { store } = storeWith(() => {
        throw awsError('TransactionCanceledException', 'Transaction cancelled [None, ConditionalCheckFailed]', 400, {
          CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }],
        });
      });
      await expect(store.write({ machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-2', version: 3 })] })).rejects.toMatchObject({
        name: 'HostFactoryError',
        code: 'CONFLICT',
        transient: true,
        message: 'Machine i-2 was changed elsewhere or is missing (expected version 3)',
        details: expect.objectContaining({ id: 'i-2', expectedVersion: 3 }),
        cause: expect.objectContaining({ name: 'TransactionCanceledException' }),
      });
    });

    it('maps a failed condition of a single put to CONFLICT', async () => {
      const { store } = storeWith(() => {
        throw awsError('ConditionalCheckFailedException', 'The conditional request failed');
      });
      await expect(store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] })).rejects.toMatchObject({
        code: 'CONFLICT',
        transient: true,
        message: 'Request req-1 already exists',
      });
    });

    it('maps a transaction that raced another one to CONFLICT, and a throttled one to transient STORAGE_ERROR', async () => {
      const reasons = [
        [{ Code: 'TransactionConflict' }, { Code: 'None' }],
        [{ Code: 'ThrottlingError' }, { Code: 'None' }],
      ];
      let call = 0;
      const { store } = storeWith(() => {
        throw awsError('TransactionCanceledException', 'cancelled', 400, { CancellationReasons: reasons[call++] });
      });
      const write = (): Promise<unknown> => store.write({ machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-2' })] });
      await expect(write()).rejects.toMatchObject({ code: 'CONFLICT', transient: true });
      await expect(write()).rejects.toMatchObject({ code: 'STORAGE_ERROR', transient: true });
    });

    it('maps throttling of a write to transient STORAGE_ERROR naming the table', async () => {
      const { store } = storeWith(() => {
        throw awsError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput was exceeded');
      });
      await expect(store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })] })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        transient: true,
        message: expect.stringContaining('DynamoDB table hf-test-requests is throttled'),
      });
    });

    it('rejects a record given twice in one write and an invalid version (INVALID_INPUT), sending nothing', async () => {
      const { store, fake } = storeWith(() => ({}));
      await expect(store.write({ machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-1', version: 1 })] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await expect(store.write({ requests: [anAcquireRequest({ version: -1 })] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      expect(fake.calls).toEqual([]);
    });

    it('splits a write of more than 100 records into transactions of 100, requests in the last one', async () => {
      const { store, fake } = storeWith(() => ({}));
      const machines = Array.from({ length: 230 }, (_, i) => aMachine({ machineId: `i-${i}` }));
      const stored = await store.write({ requests: [anAcquireRequest({ requestId: 'req-1' })], machines });
      const parts = fake.calls.map((c) => c.input['TransactItems'] as { Put: { TableName: string } }[]);
      expect(parts.map((p) => p.length)).toEqual([100, 100, 31]);
      expect(parts[2]!.at(-1)!.Put.TableName).toBe(NAMES.requests);
      expect(new Set(fake.calls.map((c) => c.input['ClientRequestToken'])).size).toBe(3);
      expect(stored.machines).toHaveLength(230);
      expect(stored.requests).toHaveLength(1);
    });

    it('reports how much of a split write was stored when a later transaction conflicts', async () => {
      let call = 0;
      const { store } = storeWith(() => {
        call += 1;
        if (call < 2) return {};
        throw awsError('TransactionCanceledException', 'cancelled', 400, {
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
        });
      });
      const machines = Array.from({ length: 100 }, (_, i) => aMachine({ machineId: `i-${i}` }));
      await expect(store.write({ machines, requests: [anAcquireRequest({ requestId: 'req-1', version: 2 })] })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('100 of the 101 records of this write were already stored'),
        details: expect.objectContaining({ storedRecords: 100, totalRecords: 101, id: 'req-1' }),
      });
    });
  });

  describe('reads', () => {
    it('retries unprocessed keys of BatchGetItem with backoff and keeps the order of the ids', async () => {
      const item = (id: string): Record<string, unknown> => ({
        pk: { S: `aws#${id}` },
        requestId: { S: id },
        kind: { S: 'acquire' },
        machineCount: { N: '1' },
        status: { S: 'running' },
        message: { S: '' },
        launchAttempts: { N: '0' },
        failedAttempts: { N: '0' },
        providerData: { S: '{}' },
        createdAt: { N: '1' },
        updatedAt: { N: '1' },
        version: { N: '1' },
      });
      let round = 0;
      const { store, fake } = storeWith((action, input) => {
        const keys = (input['RequestItems'] as Record<string, { Keys: { pk: { S: string } }[]; ConsistentRead: boolean }>)[NAMES.requests]!;
        expect(keys.ConsistentRead).toBe(true);
        round += 1;
        if (round === 1) {
          return { Responses: { [NAMES.requests]: [item('req-b')] }, UnprocessedKeys: { [NAMES.requests]: { Keys: keys.Keys.slice(0, 1) } } };
        }
        return { Responses: { [NAMES.requests]: keys.Keys.map((k) => item(k.pk.S.slice(4))) } };
      });
      const found = await store.getRequests(['req-a', 'req-b', 'req-a']);
      expect(found.map((r) => r.requestId)).toEqual(['req-a', 'req-b']);
      expect(fake.actions()).toEqual(['BatchGetItem', 'BatchGetItem']);
      expect((fake.calls[0]!.input['RequestItems'] as Record<string, { Keys: unknown[] }>)[NAMES.requests]!.Keys).toEqual([
        { pk: { S: 'aws#req-a' } },
        { pk: { S: 'aws#req-b' } },
      ]);
    });

    it('gives up with transient STORAGE_ERROR when keys stay unprocessed', async () => {
      const { store, fake } = storeWith((_action, input) => ({
        Responses: {},
        UnprocessedKeys: input['RequestItems'],
      }));
      await expect(store.getRequests(['req-a'])).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        transient: true,
        message: expect.stringContaining('unprocessed'),
      });
      expect(fake.calls).toHaveLength(8);
    }, 20_000);

    it('paginates index queries and scopes them by provider; held machines come from the sparse index', async () => {
      const { store, fake } = storeWith((action, input) => {
        if (action === 'Query') {
          return input['ExclusiveStartKey'] === undefined
            ? { Items: [{ pk: { S: 'aws#i-1' } }], LastEvaluatedKey: { pk: { S: 'aws#i-1' } } }
            : { Items: [{ pk: { S: 'aws#i-2' } }] };
        }
        return { Responses: { [NAMES.machines]: [] } };
      });
      await store.getMachines({ held: true });
      const queries = fake.calls.filter((c) => c.action === 'Query').map((c) => c.input);
      expect(queries).toHaveLength(2);
      expect(queries[0]).toMatchObject({
        IndexName: 'held',
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': 'heldKey' },
        ExpressionAttributeValues: { ':value': { S: 'aws' } },
      });
      expect(queries[1]!['ExclusiveStartKey']).toEqual({ pk: { S: 'aws#i-1' } });
      const batch = fake.calls.find((c) => c.action === 'BatchGetItem')!.input['RequestItems'] as Record<string, { Keys: unknown[] }>;
      expect(batch[NAMES.machines]!.Keys).toEqual([{ pk: { S: 'aws#i-1' } }, { pk: { S: 'aws#i-2' } }]);
    });

    it('lists requests by querying the status index once per kind and status', async () => {
      const { store, fake } = storeWith((action) => (action === 'Query' ? { Items: [] } : {}));
      await store.listRequests({ kind: 'acquire', statuses: ['running', 'complete'] });
      expect(fake.calls.map((c) => (c.input['ExpressionAttributeValues'] as Record<string, { S: string }>)[':value']!.S)).toEqual([
        'aws#acquire#running',
        'aws#acquire#complete',
        'aws#acquire#complete#closed',
      ]);
      fake.calls.length = 0;
      // Open requests only: the closed partitions (history, until TTL) are never read.
      await store.listRequests({ kind: 'acquire', statuses: ['running', 'complete'], open: true });
      expect(fake.calls.map((c) => (c.input['ExpressionAttributeValues'] as Record<string, { S: string }>)[':value']!.S)).toEqual([
        'aws#acquire#running',
        'aws#acquire#complete',
      ]);
      fake.calls.length = 0;
      await store.listRequests({});
      // Per kind: running, then complete and complete_with_error, each open and closed.
      expect(fake.calls.filter((c) => c.action === 'Query')).toHaveLength(10);
      expect(fake.actions()).not.toContain('Scan');
    });

    it('reports a corrupt item as STORAGE_ERROR naming table, key and attribute', async () => {
      const { store } = storeWith(() => ({
        Item: { pk: { S: 'aws#k' }, cacheKey: { S: 'k' }, value: { N: '3' }, expiresAtMs: { N: '10' } },
      }));
      await expect(store.getCached('k', 0)).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: 'Corrupt item in DynamoDB table hf-test-cache (aws#k): attribute value holds {"N":"3"}',
        details: { table: 'hf-test-cache', key: 'aws#k', attribute: 'value' },
      });
    });

    it('checks the expiry of cached values itself (TTL deletion is late) and sets the TTL attribute', async () => {
      const { store, fake } = storeWith((action) =>
        action === 'GetItem' ? { Item: { pk: { S: 'aws#k' }, cacheKey: { S: 'k' }, value: { S: 'v' }, expiresAtMs: { N: '1500' } } } : {},
      );
      await store.putCached('k', 'v', 1_500);
      expect(fake.calls[0]!.input['Item']).toMatchObject({ expiresAt: { N: '2' }, expiresAtMs: { N: '1500' } });
      expect(await store.getCached('k', 1_499)).toBe('v');
      expect(await store.getCached('k', 1_500)).toBeUndefined();
    });
  });

  describe('close', () => {
    it('leaves the caller’s client alone, and destroys an owned one once', async () => {
      const destroy = jest.fn();
      const client = { send: jest.fn(), destroy };
      await new DynamoDbStateStore({ client, tablePrefix: PREFIX, providerName: 'aws' }).close();
      expect(destroy).not.toHaveBeenCalled();
      const owned = new DynamoDbStateStore({ client, tablePrefix: PREFIX, providerName: 'aws', ownsClient: true });
      await owned.close();
      await owned.close();
      expect(destroy).toHaveBeenCalledTimes(1);
    });
  });
});
