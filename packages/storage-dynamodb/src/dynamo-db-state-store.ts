import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  DescribeContinuousBackupsCommand,
  DescribeTimeToLiveCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { HostFactoryError, countsAgainstQuota, isHostFactoryError, isMachineHeld, mapLimit, systemClock } from '@open-hostfactory/core';
import type {
  Clock,
  Machine,
  MachineQuery,
  PurgeResult,
  Request,
  StoreInspection,
  RequestQuery,
  StateChanges,
  StateStore,
  StoredChanges,
  TemplateLoad,
} from '@open-hostfactory/core';
import { cacheFromItem, cacheToItem } from './cache-item';
import type { DynamoDbClientLike } from './dynamo-db-client';
import { awsErrorName, cancellationReasons, isResourceNotFound, mapDynamoDbError, toStorageError } from './errors';
import { KEY_ATTRIBUTE, num, text, type Item } from './item-reader';
import { machineFromItem, machineToItem } from './machine-item';
import { REQUEST_KINDS, REQUEST_STATUSES, requestFromItem, requestStatusKey, requestToItem, type ItemContext } from './request-item';
import {
  MACHINE_INDEXES,
  REQUEST_INDEXES,
  TTL_ATTRIBUTE,
  createTableInput,
  isTableActive,
  isValidTablePrefix,
  schemaMismatches,
  scopedKey,
  tableDesigns,
  tableNames,
  type IndexDesign,
  type TableDesign,
  type TableNames,
} from './table-design';

export interface DynamoDbStateStoreOptions {
  /** The caller's client (see `createDynamoDbClient`); the store never destroys it unless `ownsClient`. */
  readonly client: DynamoDbClientLike;
  /** Tables are `<prefix>-requests`, `<prefix>-machines` and `<prefix>-cache`. */
  readonly tablePrefix: string;
  /** HF_PROVIDER_NAME: every key is partitioned by it, so providers can share the tables. No `#`. */
  readonly providerName: string;
  /** Days that finished requests and machines stay before DynamoDB's TTL deletes them (default 30). */
  readonly retentionDays?: number;
  /** Enables point-in-time recovery on each table when the store sets the tables up (default false). */
  readonly backupEnabled?: boolean;
  readonly clock?: Clock;
  /**
   * Creates missing tables on first use (default true), with TTL and, with `backupEnabled`, PITR.
   * When false the tables must exist (made by the operator); a missing one is `STORAGE_ERROR`.
   */
  readonly createTables?: boolean;
  /** Bound on waiting for created tables to become ACTIVE, ms (default 120000). */
  readonly tableWaitTimeoutMs?: number;
  /** The store made the client for itself: `close()` destroys it (default false). */
  readonly ownsClient?: boolean;
}

export const DEFAULT_RETENTION_DAYS = 30;
/** Most items of one TransactWriteItems (DynamoDB's limit). */
export const MAX_TRANSACTION_ITEMS = 100;
/** Most keys of one BatchGetItem (DynamoDB's limit). */
export const MAX_BATCH_GET_KEYS = 100;
export const DEFAULT_TABLE_WAIT_TIMEOUT_MS = 120_000;

/** BatchGetItem rounds for unprocessed keys before giving up (transient `STORAGE_ERROR`). */
const MAX_BATCH_ATTEMPTS = 8;
/** Parallel Query / BatchGetItem calls of one read. */
const READ_CONCURRENCY = 8;
const TABLE_POLL_MS = 250;
const BACKUP_ATTEMPTS = 5;

/** Admissions a template's admission record remembers (longer than any index lag). */
const ADMISSION_MEMORY_MS = 60_000;
/** An admission record unused this long expires (its version starts again from 0). */
const ADMISSION_RECORD_TTL_MS = 30 * 86_400_000;
const MAX_ADMIT_ATTEMPTS = 12;
const ADMISSION_PREFIX = 'admission:';
const LEASE_PREFIX = 'lease:';

/** Errors of a DynamoDB look-alike that lacks an operation (moto gaps): tolerated for TTL / PITR. */
const UNSUPPORTED = /^(UnknownOperationException|NotImplemented|NotImplementedError|UnsupportedOperation\w*)$/;

interface WriteEntry {
  readonly label: 'Request' | 'Machine';
  readonly id: string;
  readonly table: string;
  readonly expected: number;
  readonly item: Item;
}

/**
 * {@link StateStore} in DynamoDB: state shared by several HF hosts (highly available HostFactory).
 * See `table-design.ts` for the tables and indexes.
 *
 * - Every write is conditional on the versions it replaces (`attribute_not_exists(pk)` for an
 *   insert, `version = :expected` for an update): one PutItem for a single record, otherwise
 *   one TransactWriteItems. A write of more than {@link MAX_TRANSACTION_ITEMS} records is split into
 *   transactions of 100 (machines first, requests last) and is then atomic per transaction only:
 *   if a later part conflicts, the earlier parts stay written (each record still version-checked,
 *   so no update is lost; the CONFLICT says how many records were stored).
 * - Reads never scan: BatchGetItem by key (strongly consistent), Query on key-only indexes then a
 *   consistent BatchGetItem; the filter is re-checked on the fetched records.
 * - Tables are not described on the hot path: a call that meets `ResourceNotFoundException`
 *   creates the missing tables (once per process, PAY_PER_REQUEST, TTL on `expiresAt`, optional
 *   PITR), waits until they are ACTIVE, and is retried once. A ValidationException about keys or
 *   indexes describes the tables to report one made with another schema.
 */
export class DynamoDbStateStore implements StateStore {
  readonly tables: TableNames;
  readonly providerName: string;
  private readonly client: DynamoDbClientLike;
  private readonly context: ItemContext;
  private readonly designs: readonly TableDesign[];
  private readonly backupEnabled: boolean;
  private readonly createTables: boolean;
  private readonly tableWaitTimeoutMs: number;
  private readonly ownsClient: boolean;
  private readonly clock: Clock;
  private ensuring: Promise<void> | undefined;
  private ensured = false;
  private closed = false;

  constructor(options: DynamoDbStateStoreOptions) {
    if (options.providerName === '' || options.providerName.includes('#')) {
      throw new HostFactoryError('CONFIG_INVALID', `Invalid provider name for DynamoDB storage: "${options.providerName}"`, {
        details: { providerName: options.providerName },
      });
    }
    if (!isValidTablePrefix(options.tablePrefix)) {
      throw new HostFactoryError(
        'CONFIG_INVALID',
        `Invalid DynamoDB table prefix "${options.tablePrefix}" (letters, digits, _ . - only; table names of 3 to 255 characters)`,
        { details: { tablePrefix: options.tablePrefix } },
      );
    }
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw new HostFactoryError('CONFIG_INVALID', `Invalid DynamoDB retention of ${retentionDays} days`, {
        details: { retentionDays },
      });
    }
    this.client = options.client;
    this.providerName = options.providerName;
    this.tables = tableNames(options.tablePrefix);
    this.designs = tableDesigns(this.tables);
    this.context = { providerName: options.providerName, retentionSeconds: Math.round(retentionDays * 86_400) };
    this.backupEnabled = options.backupEnabled ?? false;
    this.createTables = options.createTables ?? true;
    this.tableWaitTimeoutMs = options.tableWaitTimeoutMs ?? DEFAULT_TABLE_WAIT_TIMEOUT_MS;
    this.ownsClient = options.ownsClient ?? false;
    this.clock = options.clock ?? systemClock;
  }

  async write(changes: StateChanges): Promise<StoredChanges> {
    const requests = changes.requests ?? [];
    const machines = changes.machines ?? [];
    if (requests.length === 0 && machines.length === 0) return { requests: [], machines: [] };
    checkWrite(
      'Request',
      requests.map((r) => [r.requestId, r.version]),
    );
    checkWrite(
      'Machine',
      machines.map((m) => [m.machineId, m.version]),
    );
    const machineEntries: WriteEntry[] = machines.map((machine) => ({
      label: 'Machine',
      id: machine.machineId,
      table: this.tables.machines,
      expected: machine.version,
      item: machineToItem({ ...machine, version: machine.version + 1 }, this.context),
    }));
    const requestEntries: WriteEntry[] = requests.map((request) => ({
      label: 'Request',
      id: request.requestId,
      table: this.tables.requests,
      expected: request.version,
      item: requestToItem({ ...request, version: request.version + 1 }, this.context),
    }));
    const entries = [...machineEntries, ...requestEntries];
    const [only] = entries;
    if (only && entries.length === 1) await this.putOne(only);
    else await this.transact(entries);
    return {
      requests: requestEntries.map((e) => requestFromItem(e.item, this.tables.requests, this.providerName)),
      machines: machineEntries.map((e) => machineFromItem(e.item, this.tables.machines, this.providerName)),
    };
  }

  async getRequests(requestIds: readonly string[]): Promise<Request[]> {
    const unique = [...new Set(requestIds)];
    if (unique.length === 0) return [];
    const byId = new Map<string, Request>();
    for (const item of await this.batchGet(
      this.tables.requests,
      unique.map((id) => scopedKey(this.providerName, id)),
    )) {
      const request = requestFromItem(item, this.tables.requests, this.providerName);
      byId.set(request.requestId, request);
    }
    return unique.flatMap((id) => {
      const request = byId.get(id);
      return request === undefined ? [] : [request];
    });
  }

  async listRequests(query: RequestQuery): Promise<Request[]> {
    if (query.statuses !== undefined && query.statuses.length === 0) return [];
    const kinds = query.kind === undefined ? REQUEST_KINDS : [query.kind];
    const statuses = query.statuses === undefined ? REQUEST_STATUSES : [...new Set(query.statuses)];
    // Closed requests have their own partitions (never a running one); open queries skip them.
    const partitions = kinds.flatMap((kind) =>
      statuses.flatMap((status) => [
        requestStatusKey(this.providerName, kind, status),
        ...(query.open === true || status === 'running' ? [] : [requestStatusKey(this.providerName, kind, status, true)]),
      ]),
    );
    const keys = await this.queryKeys(this.tables.requests, REQUEST_INDEXES.byStatus, partitions);
    const found = (await this.batchGet(this.tables.requests, keys)).map((item) => requestFromItem(item, this.tables.requests, this.providerName));
    // The index is eventually consistent: keep only what matches on the consistent read.
    return found
      .filter(
        (r) =>
          kinds.includes(r.kind) &&
          statuses.includes(r.status) &&
          (query.templateId === undefined || r.templateId === query.templateId) &&
          (query.open !== true || r.closedAt === undefined),
      )
      .sort((a, b) => a.createdAt - b.createdAt || compare(a.requestId, b.requestId));
  }

  async getMachines(query: MachineQuery): Promise<Machine[]> {
    const lookups: [IndexDesign, readonly string[]][] = [
      [MACHINE_INDEXES.byName, unique(query.names)],
      [MACHINE_INDEXES.byRequest, unique(query.requestIds)],
      [MACHINE_INDEXES.byReturnRequest, unique(query.returnRequestIds)],
    ];
    const machineIds = unique(query.machineIds);
    const active = lookups.filter(([, values]) => values.length > 0);
    if (machineIds.length === 0 && active.length === 0 && query.held !== true) return [];

    const table = this.tables.machines;
    const keys = new Set(machineIds.map((id) => scopedKey(this.providerName, id)));
    const queried = await Promise.all([
      ...active.map(([index, values]) =>
        this.queryKeys(
          table,
          index,
          values.map((value) => scopedKey(this.providerName, value)),
        ),
      ),
      query.held === true ? this.queryKeys(table, MACHINE_INDEXES.held, [this.providerName]) : Promise.resolve([]),
    ]);
    for (const found of queried) for (const key of found) keys.add(key);

    const sets = {
      machineIds: new Set(machineIds),
      names: new Set(unique(query.names)),
      requestIds: new Set(unique(query.requestIds)),
      returnRequestIds: new Set(unique(query.returnRequestIds)),
    };
    const matches = (m: Machine): boolean =>
      sets.machineIds.has(m.machineId) ||
      sets.names.has(m.name) ||
      sets.requestIds.has(m.requestId) ||
      (m.returnRequestId !== undefined && sets.returnRequestIds.has(m.returnRequestId)) ||
      (query.held === true && isMachineHeld(m));
    return (await this.batchGet(table, [...keys]))
      .map((item) => machineFromItem(item, table, this.providerName))
      .filter(matches)
      .sort((a, b) => a.createdAt - b.createdAt || compare(a.machineId, b.machineId));
  }

  /**
   * Machines counting against each template's maxNumber from the sparse `byTemplate` index, the
   * running acquire requests from `byStatus`, and their machines from `byRequest`: all live-only.
   */
  async loadOf(templateIds: readonly string[]): Promise<TemplateLoad[]> {
    const ids = unique(templateIds);
    if (ids.length === 0) return [];
    const running = await this.listRequests({ kind: 'acquire', statuses: ['running'], open: true });
    const loads = await mapLimit(ids, READ_CONCURRENCY, async (templateId) => {
      const table = this.tables.machines;
      const keys = await this.queryKeys(table, MACHINE_INDEXES.byTemplate, [scopedKey(this.providerName, templateId)]);
      const machines = (await this.batchGet(table, keys))
        .map((item) => machineFromItem(item, table, this.providerName))
        .filter((m) => m.templateId === templateId && countsAgainstQuota(m));
      return this.withRequestMachines(
        templateId,
        machines,
        running.filter((r) => r.templateId === templateId),
      );
    });
    return templateIds.map((id) => loads[ids.indexOf(id)] as TemplateLoad);
  }

  /**
   * Admission against a per-template record in the cache table (`admission:<templateId>`): its
   * version is read, the template's load computed, and the request inserted in one
   * TransactWriteItems with the record's version bumped under a condition, so of concurrent
   * admissions for one template only one commits per version and the others read again. The
   * record also lists the last minute's admissions, which the load includes even where the
   * eventually consistent indexes do not show them yet.
   */
  async admit(request: Request, accepts: (load: TemplateLoad) => boolean): Promise<Request | undefined> {
    checkWrite('Request', [[request.requestId, request.version]]);
    const templateId = request.templateId ?? '';
    const table = this.tables.cache;
    const guardKey = scopedKey(this.providerName, `${ADMISSION_PREFIX}${templateId}`);
    const requestEntry: WriteEntry = {
      label: 'Request',
      id: request.requestId,
      table: this.tables.requests,
      expected: request.version,
      item: requestToItem({ ...request, version: request.version + 1 }, this.context),
    };
    for (let attempt = 1; ; attempt += 1) {
      const out = await this.call('GetItem', [table], () =>
        this.client.send(new GetItemCommand({ TableName: table, Key: { [KEY_ATTRIBUTE]: text(guardKey) }, ConsistentRead: true })),
      );
      const guard = admissionFromItem(out.Item);
      const now = this.clock.now();
      const recent = guard.recent.filter((entry) => entry.at > now - ADMISSION_MEMORY_MS);
      const [load] = await this.loadOf([templateId]);
      if (!accepts(await this.withRecent(load as TemplateLoad, recent))) return undefined;
      const next: Item = {
        [KEY_ATTRIBUTE]: text(guardKey),
        provider: text(this.providerName),
        cacheKey: text(`${ADMISSION_PREFIX}${templateId}`),
        value: text(JSON.stringify([...recent, { id: request.requestId, at: now }])),
        expiresAtMs: num(now + ADMISSION_RECORD_TTL_MS),
        [TTL_ATTRIBUTE]: num(Math.ceil((now + ADMISSION_RECORD_TTL_MS) / 1000)),
        version: num(guard.version + 1),
      };
      try {
        await this.call('TransactWriteItems', [this.tables.requests, table], () =>
          this.client.send(
            new TransactWriteItemsCommand({
              ClientRequestToken: randomUUID(),
              TransactItems: [
                { Put: { TableName: requestEntry.table, Item: requestEntry.item, ...versionCondition(requestEntry.expected) } },
                { Put: { TableName: table, Item: next, ...versionCondition(guard.version) } },
              ],
            }),
          ),
        );
        return requestFromItem(requestEntry.item, this.tables.requests, this.providerName);
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        const reasons = awsErrorName(cause) === 'TransactionCanceledException' ? cancellationReasons(cause) : [];
        if (reasons[0] === 'ConditionalCheckFailed') throw conflictOf([requestEntry], cause);
        const raced = reasons[1] === 'ConditionalCheckFailed' || reasons.includes('TransactionConflict');
        if (!raced || attempt >= MAX_ADMIT_ATTEMPTS) throw error;
        await sleep(backoffMs(attempt));
      }
    }
  }

  async takeLease(name: string, holder: string, until: number, now: number): Promise<boolean> {
    const table = this.tables.cache;
    const key = `${LEASE_PREFIX}${name}`;
    try {
      await this.call('PutItem', [table], () =>
        this.client.send(
          new PutItemCommand({
            TableName: table,
            Item: cacheToItem({ key, value: holder, expiresAt: until }, this.providerName),
            ConditionExpression: 'attribute_not_exists(#pk) OR #until <= :now',
            ExpressionAttributeNames: { '#pk': KEY_ATTRIBUTE, '#until': 'expiresAtMs' },
            ExpressionAttributeValues: { ':now': num(now) },
          }),
        ),
      );
      return true;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      if (awsErrorName(cause) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getCached(key: string, now: number): Promise<string | undefined> {
    const table = this.tables.cache;
    const out = await this.call('GetItem', [table], () =>
      this.client.send(
        new GetItemCommand({
          TableName: table,
          Key: { [KEY_ATTRIBUTE]: text(scopedKey(this.providerName, key)) },
          ConsistentRead: true,
        }),
      ),
    );
    if (out.Item === undefined) return undefined;
    // TTL deletion is lazy (up to days late): the expiry is checked here.
    const entry = cacheFromItem(out.Item, table, this.providerName);
    return now < entry.expiresAt ? entry.value : undefined;
  }

  async putCached(key: string, value: string, expiresAt: number): Promise<void> {
    const table = this.tables.cache;
    await this.call('PutItem', [table], () =>
      this.client.send(new PutItemCommand({ TableName: table, Item: cacheToItem({ key, value, expiresAt }, this.providerName) })),
    );
  }

  /** Destroys the client only when the store owns it (`ownsClient`). Idempotent. */
  /** Each table: present and ACTIVE, point-in-time recovery (PITR) and TTL state. Read-only. */
  async inspect(): Promise<StoreInspection> {
    const warnings: string[] = [];
    const parts: string[] = [];
    for (const design of this.designs) {
      const table = await this.describe(design.name);
      const [pitr, ttl] = await Promise.all([this.pitrState(design.name), this.ttlState(design.name)]);
      parts.push(`${design.name} ${table.TableStatus ?? '?'} (PITR ${pitr}, TTL ${ttl})`);
      if (this.backupEnabled && pitr !== 'ENABLED')
        warnings.push(`${design.name}: point-in-time recovery is ${pitr} although backup_enabled is true`);
      if (ttl !== 'ENABLED' && ttl !== 'ENABLING' && ttl !== 'unknown')
        warnings.push(`${design.name}: TTL is ${ttl}: closed records will not expire`);
    }
    return { summary: `DynamoDB ${parts.join(', ')}`, warnings };
  }

  private async pitrState(table: string): Promise<string> {
    try {
      const out = await this.client.send(new DescribeContinuousBackupsCommand({ TableName: table }));
      return out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus ?? 'DISABLED';
    } catch (error) {
      if (UNSUPPORTED.test(awsErrorName(error))) return 'unknown';
      throw toStorageError(error, { action: 'DescribeContinuousBackups', tables: [table] });
    }
  }

  private async ttlState(table: string): Promise<string> {
    try {
      const out = await this.client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      return out.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED';
    } catch (error) {
      if (UNSUPPORTED.test(awsErrorName(error))) return 'unknown';
      throw toStorageError(error, { action: 'DescribeTimeToLive', tables: [table] });
    }
  }

  /** Closed requests and their machines expire by DynamoDB TTL (`retentionDays` after closing): nothing to delete here. */
  async purge(): Promise<PurgeResult> {
    return { requests: 0, machines: 0, expiresItself: true };
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** {@link close} for synchronous callers (container deactivation, exit handlers). Idempotent. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) (this.client as { destroy?: () => void }).destroy?.();
  }

  /**
   * Makes sure the tables exist and match the design: creates missing ones (unless
   * `createTables` is false), waits until they are ACTIVE, verifies their keys and indexes,
   * enables TTL and, with `backupEnabled`, point-in-time recovery. Done once per process; the
   * store calls it by itself when a table is missing. Throws `STORAGE_ERROR`.
   */
  async ensureTables(): Promise<void> {
    if (this.ensured) return;
    this.ensuring ??= Promise.all(this.designs.map((design) => this.ensureTable(design))).then(
      () => {
        this.ensured = true;
      },
      (error: unknown) => {
        this.ensuring = undefined;
        throw error;
      },
    );
    return this.ensuring;
  }

  /** The load with the running requests' machines (`byRequest`). */
  private async withRequestMachines(templateId: string, machines: Machine[], requests: Request[]): Promise<TemplateLoad> {
    const requestMachines = requests.length === 0 ? [] : await this.getMachines({ requestIds: requests.map((r) => r.requestId) });
    return { templateId, machines, requests, requestMachines };
  }

  /**
   * The load plus recent admissions the indexes may not show yet (read consistently by key): a
   * recent request still running reserves its shortfall, and the machines of every recent
   * request are added, so that one whose launch landed after the template's machines were read
   * (and that is no longer running) still counts (core's unitsInUse counts each machine once).
   */
  private async withRecent(load: TemplateLoad, recent: readonly { id: string }[]): Promise<TemplateLoad> {
    const listed = new Set(load.requests.map((r) => r.requestId));
    const missing = recent.map((entry) => entry.id).filter((id) => !listed.has(id));
    if (missing.length === 0) return load;
    const recentRequests = (await this.getRequests(missing)).filter((r) => r.kind === 'acquire' && r.templateId === load.templateId);
    if (recentRequests.length === 0) return load;
    const machines = await this.getMachines({ requestIds: recentRequests.map((r) => r.requestId) });
    return {
      ...load,
      requests: [...load.requests, ...recentRequests.filter((r) => r.status === 'running')],
      requestMachines: [...load.requestMachines, ...machines],
    };
  }

  private async putOne(entry: WriteEntry): Promise<void> {
    await this.call('PutItem', [entry.table], async () => {
      try {
        await this.client.send(new PutItemCommand({ TableName: entry.table, Item: entry.item, ...versionCondition(entry.expected) }));
      } catch (error) {
        if (awsErrorName(error) === 'ConditionalCheckFailedException') throw conflictOf([entry], error);
        throw error;
      }
    });
  }

  private async transact(entries: readonly WriteEntry[]): Promise<void> {
    let stored = 0;
    for (const part of chunk(entries, MAX_TRANSACTION_ITEMS)) {
      const token = randomUUID();
      const tables = [...new Set(part.map((e) => e.table))];
      try {
        await this.call('TransactWriteItems', tables, async () => {
          try {
            await this.client.send(
              new TransactWriteItemsCommand({
                // Makes the SDK's own retries of this call idempotent (10 minutes).
                ClientRequestToken: token,
                TransactItems: part.map((entry) => ({
                  Put: { TableName: entry.table, Item: entry.item, ...versionCondition(entry.expected) },
                })),
              }),
            );
          } catch (error) {
            throw transactionConflict(part, error) ?? error;
          }
        });
      } catch (error) {
        if (stored > 0 && isHostFactoryError(error)) throw partialWrite(error, stored, entries.length);
        throw error;
      }
      stored += part.length;
    }
  }

  /** The table keys (`pk`) found on an index under each of the partition values; paginated. */
  private async queryKeys(table: string, index: IndexDesign, values: readonly string[]): Promise<string[]> {
    const perValue = await mapLimit(values, READ_CONCURRENCY, async (value) => {
      const keys: string[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await this.call('Query', [table], () =>
          this.client.send(
            new QueryCommand({
              TableName: table,
              IndexName: index.name,
              KeyConditionExpression: '#key = :value',
              ExpressionAttributeNames: { '#key': index.keyAttribute, '#pk': KEY_ATTRIBUTE },
              ExpressionAttributeValues: { ':value': text(value) },
              ProjectionExpression: '#pk',
              ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            }),
          ),
        );
        for (const item of out.Items ?? []) {
          const key = item[KEY_ATTRIBUTE]?.S;
          if (key !== undefined) keys.push(key);
        }
        start = out.LastEvaluatedKey;
      } while (start !== undefined && Object.keys(start).length > 0);
      return keys;
    });
    return perValue.flat();
  }

  /** Strongly consistent BatchGetItem of many keys (100 a call), retrying unprocessed keys. */
  private async batchGet(table: string, keys: readonly string[]): Promise<Item[]> {
    const parts = await mapLimit(chunk([...new Set(keys)], MAX_BATCH_GET_KEYS), READ_CONCURRENCY, (part) => this.batchGetPart(table, part));
    return parts.flat();
  }

  private async batchGetPart(table: string, keys: readonly string[]): Promise<Item[]> {
    const found: Item[] = [];
    let pending: Record<string, AttributeValue>[] = keys.map((key) => ({ [KEY_ATTRIBUTE]: text(key) }));
    for (let attempt = 1; ; attempt += 1) {
      const keysNow = pending;
      const out = await this.call('BatchGetItem', [table], () =>
        this.client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keysNow, ConsistentRead: true } } })),
      );
      found.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (pending.length === 0) return found;
      if (attempt >= MAX_BATCH_ATTEMPTS) {
        throw new HostFactoryError(
          'STORAGE_ERROR',
          `DynamoDB table ${table} is throttled: ${pending.length} keys still unprocessed after ${attempt} BatchGetItem calls`,
          { transient: true, details: { action: 'BatchGetItem', tables: [table], unprocessed: pending.length } },
        );
      }
      await sleep(backoffMs(attempt));
    }
  }

  /**
   * Runs one DynamoDB call. A missing table (first use) sets the tables up and retries once;
   * other failures become core errors.
   */
  private async call<T>(action: string, tables: readonly string[], operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isResourceNotFound(error) || !this.createTables || this.ensured) throw await this.failure(error, action, tables);
    }
    await this.ensureTables();
    try {
      return await operation();
    } catch (error) {
      throw await this.failure(error, action, tables);
    }
  }

  private async failure(error: unknown, action: string, tables: readonly string[]): Promise<unknown> {
    // Often a table of another schema ("The provided key element does not match the schema",
    // "The table does not have the specified index"): rare, so worth a DescribeTable to say so.
    if (awsErrorName(error) === 'ValidationException') {
      const problem = await this.schemaProblem(tables).catch(() => undefined);
      if (problem !== undefined) return problem;
    }
    if (isResourceNotFound(error) && !this.createTables) {
      return new HostFactoryError(
        'STORAGE_ERROR',
        `DynamoDB table ${tables.join(' or ')} does not exist (table creation is off: create the tables of prefix ${this.tablePrefix})`,
        { cause: error, details: { action, tables: [...tables] } },
      );
    }
    return mapDynamoDbError(error, { action, tables });
  }

  private get tablePrefix(): string {
    return this.tables.cache.slice(0, -'-cache'.length);
  }

  /** A `STORAGE_ERROR` naming the first of the tables that differs from the design, if any. */
  private async schemaProblem(tables: readonly string[]): Promise<HostFactoryError | undefined> {
    for (const design of this.designs.filter((d) => tables.includes(d.name))) {
      const table = await this.describe(design.name);
      const problems = schemaMismatches(design, table);
      if (problems.length > 0) return schemaError(design, problems);
    }
    return undefined;
  }

  private async describe(table: string): Promise<TableDescription> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: table }));
      if (out.Table === undefined) throw new Error('DescribeTable returned no table');
      return out.Table;
    } catch (error) {
      throw toStorageError(error, { action: 'DescribeTable', tables: [table] });
    }
  }

  private async ensureTable(design: TableDesign): Promise<void> {
    if (this.createTables) {
      try {
        await this.client.send(new CreateTableCommand(createTableInput(design)));
      } catch (error) {
        // Another process (or an earlier run) made it: verified below.
        if (awsErrorName(error) !== 'ResourceInUseException') {
          throw toStorageError(error, { action: 'CreateTable', tables: [design.name] });
        }
      }
    }
    const table = await this.waitActive(design.name);
    const problems = schemaMismatches(design, table);
    if (problems.length > 0) throw schemaError(design, problems);
    if (!this.createTables) return; // tables managed by the operator: their settings are left alone
    await this.enableTtl(design.name);
    if (this.backupEnabled) await this.enableBackups(design.name);
  }

  /** Polls DescribeTable until the table and its indexes are ACTIVE (bounded). */
  private async waitActive(table: string): Promise<TableDescription> {
    const deadline = this.clock.now() + this.tableWaitTimeoutMs;
    const maxPolls = Math.max(1, Math.ceil(this.tableWaitTimeoutMs / TABLE_POLL_MS));
    for (let poll = 1; ; poll += 1) {
      let description: TableDescription | undefined;
      try {
        description = await this.describe(table);
      } catch (error) {
        // Just created: DescribeTable may not see it yet.
        if (!isResourceNotFound((error as { cause?: unknown }).cause) || !this.createTables) throw error;
      }
      if (description !== undefined && isTableActive(description)) return description;
      if (poll >= maxPolls || this.clock.now() >= deadline) {
        throw new HostFactoryError(
          'STORAGE_ERROR',
          `DynamoDB table ${table} is not ACTIVE after ${this.tableWaitTimeoutMs} ms (status ${description?.TableStatus ?? 'unknown'})`,
          { transient: true, details: { action: 'DescribeTable', tables: [table], status: description?.TableStatus } },
        );
      }
      await sleep(TABLE_POLL_MS);
    }
  }

  private async enableTtl(table: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName: table,
          TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
        }),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (awsErrorName(error) === 'ValidationException' && /already enabled/i.test(message)) return;
      if (UNSUPPORTED.test(awsErrorName(error))) return;
      throw toStorageError(error, { action: 'UpdateTimeToLive', tables: [table] });
    }
  }

  private async enableBackups(table: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(
          new UpdateContinuousBackupsCommand({
            TableName: table,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        );
        return;
      } catch (error) {
        const name = awsErrorName(error);
        if (UNSUPPORTED.test(name)) return;
        // Right after CreateTable, AWS may not be ready to enable backups yet.
        if (name === 'ContinuousBackupsUnavailableException' && attempt < BACKUP_ATTEMPTS) {
          await sleep(backoffMs(attempt) * 4);
          continue;
        }
        throw toStorageError(error, { action: 'UpdateContinuousBackups', tables: [table] });
      }
    }
  }
}

/** The admission record of a template (absent: version 0, nothing admitted lately). */
function admissionFromItem(item: Item | undefined): { version: number; recent: { id: string; at: number }[] } {
  if (item === undefined) return { version: 0, recent: [] };
  const version = Number(item['version']?.N ?? '0');
  let recent: { id: string; at: number }[] = [];
  try {
    const value: unknown = JSON.parse(item['value']?.S ?? '[]');
    if (Array.isArray(value)) {
      recent = value.filter(
        (entry): entry is { id: string; at: number } =>
          typeof entry === 'object' && entry !== null && typeof entry.id === 'string' && typeof entry.at === 'number',
      );
    }
  } catch {
    // a damaged list only loses the index-lag cover of the last minute
  }
  return { version: Number.isSafeInteger(version) ? version : 0, recent };
}

/** The condition of a versioned write: absent for version 0, else at exactly `expected`. */
function versionCondition(expected: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (expected === 0) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': KEY_ATTRIBUTE } };
  }
  return {
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': num(expected) },
  };
}

/** Versions must be whole numbers ≥ 0, and a record may appear once per write. */
function checkWrite(label: string, records: readonly [string, number][]): void {
  const seen = new Set<string>();
  for (const [id, version] of records) {
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new HostFactoryError('INVALID_INPUT', `${label} ${id} has an invalid version ${version}`, {
        details: { id, version },
      });
    }
    if (seen.has(id)) {
      throw new HostFactoryError('INVALID_INPUT', `${label} ${id} appears more than once in one write`, {
        details: { id },
      });
    }
    seen.add(id);
  }
}

function conflictOf(entries: readonly [WriteEntry, ...WriteEntry[]], cause: unknown): HostFactoryError {
  const [first] = entries;
  const what = first.expected === 0 ? 'already exists' : `was changed elsewhere or is missing (expected version ${first.expected})`;
  const more = entries.length > 1 ? ` (and ${entries.length - 1} more)` : '';
  return new HostFactoryError('CONFLICT', `${first.label} ${first.id} ${what}${more}`, {
    cause,
    details: {
      id: first.id,
      expectedVersion: first.expected,
      conflicts: entries.map((e) => ({ kind: e.label, id: e.id, expectedVersion: e.expected })),
    },
  });
}

/** CONFLICT naming the records whose condition failed, when that is why the transaction was cancelled. */
function transactionConflict(part: readonly WriteEntry[], error: unknown): HostFactoryError | undefined {
  if (awsErrorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = cancellationReasons(error);
  const [failed, ...moreFailed] = part.filter((_, i) => reasons[i] === 'ConditionalCheckFailed');
  if (failed) return conflictOf([failed, ...moreFailed], error);
  const [racing] = part.filter((_, i) => reasons[i] === 'TransactionConflict');
  if (racing) {
    return new HostFactoryError('CONFLICT', `${racing.label} ${racing.id} is being written by another transaction`, {
      cause: error,
      details: { id: racing.id, reasons },
    });
  }
  return undefined;
}

function partialWrite(error: HostFactoryError, stored: number, total: number): HostFactoryError {
  return new HostFactoryError(
    error.code,
    `${error.message} (${stored} of the ${total} records of this write were already stored: ` +
      `a write of more than ${MAX_TRANSACTION_ITEMS} records is atomic per ${MAX_TRANSACTION_ITEMS} only)`,
    {
      cause: error.cause ?? error,
      details: { ...error.details, storedRecords: stored, totalRecords: total },
      transient: error.transient,
    },
  );
}

function schemaError(design: TableDesign, problems: readonly string[]): HostFactoryError {
  return new HostFactoryError(
    'STORAGE_ERROR',
    `DynamoDB table ${design.name} exists with another schema: ${problems.join('; ')} ` + `(use another table prefix, or delete the table)`,
    { details: { tables: [design.name], problems: [...problems] } },
  );
}

function unique(values: readonly string[] | undefined): string[] {
  return values === undefined ? [] : [...new Set(values)];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Exponential backoff with jitter: ~50 ms, 100 ms, 200 ms… capped at 2 s. */
function backoffMs(attempt: number): number {
  const base = Math.min(2000, 50 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
