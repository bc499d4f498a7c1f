import { PROVIDER_API_PATTERN } from '@open-hostfactory/core';
import type { Request, RequestKind, RequestStatus } from '@open-hostfactory/core';
import { ItemReader, KEY_ATTRIBUTE, num, text, type Item } from './item-reader';
import { REQUEST_INDEXES, SORT_ATTRIBUTE, TTL_ATTRIBUTE, scopedKey } from './table-design';

/** What the mappers need besides the record. */
export interface ItemContext {
  readonly providerName: string;
  /** How long finished records are kept before DynamoDB's TTL deletes them, seconds. */
  readonly retentionSeconds: number;
}

export const REQUEST_KINDS: readonly RequestKind[] = ['acquire', 'return'];
export const REQUEST_STATUSES: readonly RequestStatus[] = ['running', 'complete', 'complete_with_error'];

/**
 * The `byStatus` index key of requests of one kind and status: open requests (not closed) and
 * closed ones are apart, so that queries for what is still open never read history.
 */
export function requestStatusKey(providerName: string, kind: RequestKind, status: RequestStatus, closed = false): string {
  return closed ? scopedKey(providerName, kind, status, 'closed') : scopedKey(providerName, kind, status);
}

/** TTL of a record finished at `updatedAt` (epoch ms): epoch seconds. */
export function expiryOf(updatedAt: number, retentionSeconds: number): number {
  return Math.ceil(updatedAt / 1000) + Math.max(0, Math.floor(retentionSeconds));
}

/**
 * The item of a request. Only closed requests (ended and holding nothing alive, `closedAt` set)
 * carry the TTL attribute `expiresAt` = closedAt + retention: a request whose machines HF still
 * holds never expires, whatever its status.
 */
export function requestToItem(request: Request, context: ItemContext): Item {
  const item: Item = {
    [KEY_ATTRIBUTE]: text(scopedKey(context.providerName, request.requestId)),
    provider: text(context.providerName),
    requestId: text(request.requestId),
    kind: text(request.kind),
    machineCount: num(request.machineCount),
    status: text(request.status),
    message: text(request.message),
    launchAttempts: num(request.launchAttempts),
    failedAttempts: num(request.failedAttempts),
    providerData: text(JSON.stringify(request.providerData ?? {})),
    [SORT_ATTRIBUTE]: num(request.createdAt),
    updatedAt: num(request.updatedAt),
    version: num(request.version),
    [REQUEST_INDEXES.byStatus.keyAttribute]: text(
      requestStatusKey(context.providerName, request.kind, request.status, request.closedAt !== undefined),
    ),
  };
  if (request.templateId !== undefined) item['templateId'] = text(request.templateId);
  if (request.providerApi !== undefined) item['providerApi'] = text(request.providerApi);
  if (request.launchLease !== undefined) {
    item['leaseUntil'] = num(request.launchLease.until);
    item['leaseHolder'] = text(request.launchLease.holder);
    item['leaseCount'] = num(request.launchLease.count);
  }
  if (request.firstPolledAt !== undefined) item['firstPolledAt'] = num(request.firstPolledAt);
  if (request.rcAccount !== undefined) item['rcAccount'] = text(request.rcAccount);
  if (request.closedAt !== undefined) {
    item['closedAt'] = num(request.closedAt);
    item[TTL_ATTRIBUTE] = num(expiryOf(request.closedAt, context.retentionSeconds));
  }
  return item;
}

/**
 * Reads a stored item back, validating every attribute (`STORAGE_ERROR` naming the table, the key
 * and the attribute when it is not a valid request of this provider).
 */
export function requestFromItem(item: unknown, table: string, providerName: string): Request {
  const read = new ItemReader(table, item);
  const requestId = read.nonEmptyText('requestId');
  read.expectKey(scopedKey(providerName, requestId));
  const templateId = read.optionalText('templateId');
  const providerApi = read.optionalMatching('providerApi', PROVIDER_API_PATTERN);
  const leaseUntil = read.optionalNumber('leaseUntil');
  const launchLease = leaseUntil === undefined ? undefined : { until: leaseUntil, holder: read.text('leaseHolder'), count: read.count('leaseCount') };
  const firstPolledAt = read.optionalNumber('firstPolledAt');
  const closedAt = read.optionalNumber('closedAt');
  const rcAccount = read.optionalText('rcAccount');
  return {
    requestId,
    kind: read.oneOf('kind', REQUEST_KINDS),
    ...(templateId === undefined ? {} : { templateId }),
    ...(providerApi === undefined ? {} : { providerApi }),
    machineCount: read.count('machineCount'),
    status: read.oneOf('status', REQUEST_STATUSES),
    message: read.text('message'),
    launchAttempts: read.count('launchAttempts'),
    failedAttempts: read.count('failedAttempts'),
    providerData: read.stringMap('providerData'),
    ...(launchLease === undefined ? {} : { launchLease }),
    ...(firstPolledAt === undefined ? {} : { firstPolledAt }),
    ...(closedAt === undefined ? {} : { closedAt }),
    ...(rcAccount === undefined ? {} : { rcAccount }),
    createdAt: read.number(SORT_ATTRIBUTE),
    updatedAt: read.number('updatedAt'),
    version: read.count('version'),
  };
}
