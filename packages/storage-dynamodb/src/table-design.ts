import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { KEY_ATTRIBUTE } from './item-reader';

/**
 * The three tables of a store and their indexes. Every key value starts with the provider name
 * (`<providerName>#…`), so provider instances sharing a table prefix never see each other's records.
 *
 * `<prefix>-requests`  key `pk` = `<provider>#<requestId>`
 *   GSI `byStatus`      `statusKey` = `<provider>#<kind>#<status>` while open, `…#<status>#closed`
 *                       once closed, sort `createdAt` (N)
 * `<prefix>-machines`  key `pk` = `<provider>#<machineId>`
 *   GSI `byRequest`        `requestKey` = `<provider>#<requestId>`, sort `createdAt`
 *   GSI `byReturnRequest`  `returnRequestKey` = `<provider>#<returnRequestId>` (only when returned)
 *   GSI `byTemplate`       `templateKey` = `<provider>#<templateId>` (sparse: only while the machine
 *                          counts against its template's maxNumber)
 *   GSI `byName`           `nameKey` = `<provider>#<name>`
 *   GSI `held`             `heldKey` = `<provider>` (sparse: only while the machine is held)
 * `<prefix>-cache`     key `pk` = `<provider>#<cache key>`; also leases (`lease:<name>`) and each
 *                      template's admission record (`admission:<templateId>`)
 *
 * Indexes project keys only: a read queries them for table keys, then fetches the records with a
 * strongly consistent BatchGetItem and re-checks the filter on what it fetched (GSIs are
 * eventually consistent). `expiresAt` (epoch seconds) is the TTL attribute of every table.
 */
export const TTL_ATTRIBUTE = 'expiresAt';
export const SORT_ATTRIBUTE = 'createdAt';

export interface IndexDesign {
  readonly name: string;
  /** The partition key attribute (type S); the sort key is always `createdAt` (type N). */
  readonly keyAttribute: string;
}

export const REQUEST_INDEXES = {
  byStatus: { name: 'byStatus', keyAttribute: 'statusKey' },
} as const satisfies Record<string, IndexDesign>;

export const MACHINE_INDEXES = {
  byRequest: { name: 'byRequest', keyAttribute: 'requestKey' },
  byReturnRequest: { name: 'byReturnRequest', keyAttribute: 'returnRequestKey' },
  byTemplate: { name: 'byTemplate', keyAttribute: 'templateKey' },
  byName: { name: 'byName', keyAttribute: 'nameKey' },
  held: { name: 'held', keyAttribute: 'heldKey' },
} as const satisfies Record<string, IndexDesign>;

export type TableRole = 'requests' | 'machines' | 'cache';

export interface TableDesign {
  readonly role: TableRole;
  readonly name: string;
  readonly indexes: readonly IndexDesign[];
}

export interface TableNames {
  readonly requests: string;
  readonly machines: string;
  readonly cache: string;
}

/** DynamoDB's rule for table names, applied to `<prefix>-machines`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export function tableNames(prefix: string): TableNames {
  return { requests: `${prefix}-requests`, machines: `${prefix}-machines`, cache: `${prefix}-cache` };
}

export function isValidTablePrefix(prefix: string): boolean {
  return prefix.length > 0 && TABLE_NAME.test(`${prefix}-machines`);
}

export function tableDesigns(names: TableNames): TableDesign[] {
  return [
    { role: 'requests', name: names.requests, indexes: Object.values(REQUEST_INDEXES) },
    { role: 'machines', name: names.machines, indexes: Object.values(MACHINE_INDEXES) },
    { role: 'cache', name: names.cache, indexes: [] },
  ];
}

/** `<providerName>#<id>`: the value of every key and index key. */
export function scopedKey(providerName: string, ...parts: readonly string[]): string {
  return [providerName, ...parts].join('#');
}

const TABLE_KEY: KeySchemaElement[] = [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }];

function indexKey(index: IndexDesign): KeySchemaElement[] {
  return [
    { AttributeName: index.keyAttribute, KeyType: 'HASH' },
    { AttributeName: SORT_ATTRIBUTE, KeyType: 'RANGE' },
  ];
}

/** CreateTable input: on-demand billing, key-only GSIs. */
export function createTableInput(design: TableDesign): CreateTableCommandInput {
  const attributes: AttributeDefinition[] = [{ AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' }];
  if (design.indexes.length > 0) {
    attributes.push({ AttributeName: SORT_ATTRIBUTE, AttributeType: 'N' });
    for (const index of design.indexes) attributes.push({ AttributeName: index.keyAttribute, AttributeType: 'S' });
  }
  const indexes: GlobalSecondaryIndex[] = design.indexes.map((index) => ({
    IndexName: index.name,
    KeySchema: indexKey(index),
    Projection: { ProjectionType: 'KEYS_ONLY' },
  }));
  return {
    TableName: design.name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: TABLE_KEY,
    AttributeDefinitions: attributes,
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

function sameKeys(actual: readonly KeySchemaElement[] | undefined, expected: readonly KeySchemaElement[]): boolean {
  if (actual === undefined || actual.length !== expected.length) return false;
  return expected.every((key) => actual.some((a) => a.AttributeName === key.AttributeName && a.KeyType === key.KeyType));
}

function describeKeys(keys: readonly KeySchemaElement[] | undefined): string {
  if (keys === undefined || keys.length === 0) return 'none';
  return keys.map((key) => `${key.AttributeName} ${key.KeyType}`).join(', ');
}

/**
 * What differs between an existing table and the design (empty when it matches): the table
 * key, the type of the key attributes, and each index's key schema. Extra indexes are allowed.
 */
export function schemaMismatches(design: TableDesign, table: TableDescription): string[] {
  const problems: string[] = [];
  if (!sameKeys(table.KeySchema, TABLE_KEY)) {
    problems.push(`key schema is (${describeKeys(table.KeySchema)}), expected (${describeKeys(TABLE_KEY)})`);
  }
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const keyType = types.get(KEY_ATTRIBUTE);
  if (keyType !== undefined && keyType !== 'S') problems.push(`attribute ${KEY_ATTRIBUTE} has type ${keyType}, expected S`);
  for (const index of design.indexes) {
    const found = (table.GlobalSecondaryIndexes ?? []).find((gsi) => gsi.IndexName === index.name);
    if (found === undefined) {
      problems.push(`index ${index.name} is missing`);
    } else if (!sameKeys(found.KeySchema, indexKey(index))) {
      problems.push(`index ${index.name} has key schema (${describeKeys(found.KeySchema)}), expected (${describeKeys(indexKey(index))})`);
    }
  }
  return problems;
}

/** True once the table and every one of its indexes can be used. */
export function isTableActive(table: TableDescription): boolean {
  if (table.TableStatus !== 'ACTIVE') return false;
  return (table.GlobalSecondaryIndexes ?? []).every((gsi) => gsi.IndexStatus === undefined || gsi.IndexStatus === 'ACTIVE');
}
