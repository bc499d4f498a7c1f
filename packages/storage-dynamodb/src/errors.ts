import { classifyAwsError } from '@open-hostfactory/aws-common';
import { HostFactoryError, isHostFactoryError } from '@open-hostfactory/core';

/**
 * Maps DynamoDB SDK errors onto core's codes by the AWS error name, never by `instanceof`: its
 * own codes (conditions, transactions, missing tables) here, the kinds every service shares
 * (throttling, credentials, unreachable endpoints, service failures) from aws-common. The SDK
 * error is always kept as `cause`. Anything that is neither a HostFactoryError, an AWS error
 * nor a network error (a programming error) passes through unchanged.
 */

/** Cancellation reasons of a transaction that another writer caused. */
const CONFLICT_REASONS = new Set(['ConditionalCheckFailed', 'TransactionConflict']);
const THROTTLING_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $fault?: unknown;
  readonly CancellationReasons?: readonly { readonly Code?: string; readonly Message?: string }[];
}

/** What the failed call was doing, for the message and details. */
export interface DynamoDbErrorContext {
  /** The DynamoDB action (`TransactWriteItems`, `Query`…). */
  readonly action: string;
  /** The table(s) it touched. */
  readonly tables: readonly string[];
}

function shapeOf(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

/** The AWS error name of an SDK error (`ResourceNotFoundException`…), or ''. */
export function awsErrorName(error: unknown): string {
  const name = shapeOf(error).name;
  return typeof name === 'string' ? name : '';
}

/** The cancellation reason codes of a `TransactionCanceledException`, in item order. */
export function cancellationReasons(error: unknown): string[] {
  const reasons = shapeOf(error).CancellationReasons;
  if (!Array.isArray(reasons)) return [];
  return reasons.map((reason: { Code?: unknown }) => (typeof reason?.Code === 'string' ? reason.Code : 'None'));
}

export function isResourceNotFound(error: unknown): boolean {
  return awsErrorName(error) === 'ResourceNotFoundException';
}

function tablesLabel(tables: readonly string[]): string {
  if (tables.length === 0) return 'DynamoDB';
  return tables.length === 1 ? `DynamoDB table ${tables[0]}` : `DynamoDB tables ${tables.join(', ')}`;
}

/**
 * Turns anything a DynamoDB call threw into a HostFactoryError:
 * - `ConditionalCheckFailedException`, `TransactionConflictException`, and a
 *   `TransactionCanceledException` cancelled by a condition or a concurrent transaction → `CONFLICT` (transient);
 * - throttling, DynamoDB server errors and network errors (refused, reset, timed out…) →
 *   `STORAGE_ERROR`, transient, naming the table(s) and, for network errors, the endpoint;
 * - access denied / bad credentials → `STORAGE_ERROR`, not transient, saying so;
 * - `ResourceNotFoundException` → `STORAGE_ERROR` (the table does not exist);
 * - any other AWS error (validation, item too large…) → `STORAGE_ERROR`.
 * HostFactoryErrors, and errors that are neither AWS nor network errors, are returned unchanged.
 */
export function mapDynamoDbError(error: unknown, context: DynamoDbErrorContext): unknown {
  if (isHostFactoryError(error)) return error;
  const name = awsErrorName(error);
  const shape = shapeOf(error);
  const rawMessage = typeof shape.message === 'string' ? shape.message : String(error);
  const where = tablesLabel(context.tables);
  const details: Record<string, unknown> = { action: context.action, tables: [...context.tables] };
  if (name && name !== 'Error') details['awsErrorName'] = name;
  if (shape.$metadata?.requestId) details['awsRequestId'] = shape.$metadata.requestId;
  if (shape.$metadata?.httpStatusCode !== undefined) details['httpStatusCode'] = shape.$metadata.httpStatusCode;
  const storage = (message: string, transient: boolean): HostFactoryError =>
    new HostFactoryError('STORAGE_ERROR', message, { cause: error, details, transient });

  if (name === 'ConditionalCheckFailedException') {
    return new HostFactoryError('CONFLICT', `${where}: a record was changed elsewhere (${rawMessage})`, {
      cause: error,
      details,
    });
  }
  if (name === 'TransactionConflictException') {
    return new HostFactoryError('CONFLICT', `${where}: another transaction is writing the same record (${rawMessage})`, {
      cause: error,
      details,
    });
  }
  if (name === 'TransactionCanceledException') {
    const reasons = cancellationReasons(error);
    details['cancellationReasons'] = reasons;
    if (reasons.some((reason) => CONFLICT_REASONS.has(reason))) {
      return new HostFactoryError('CONFLICT', `${where}: a record was changed elsewhere (${reasons.join(', ')})`, {
        cause: error,
        details,
      });
    }
    const throttled = reasons.some((reason) => THROTTLING_REASONS.has(reason));
    return storage(`${where}: ${context.action} was cancelled (${reasons.join(', ') || rawMessage})`, throttled);
  }
  if (name === 'TransactionInProgressException') {
    return storage(`${where}: the same transaction is still in progress (${rawMessage})`, true);
  }
  if (name === 'ResourceNotFoundException') {
    return storage(`${where}: the table does not exist (${rawMessage})`, false);
  }
  const failure = classifyAwsError(error);
  if (failure.kind === 'throttled') return storage(`${where} is throttled (${name}: ${rawMessage})`, true);
  if (failure.kind === 'auth') {
    return storage(`${where}: access denied or invalid credentials for ${context.action} (${name}: ${rawMessage})`, false);
  }
  if (failure.kind === 'unreachable') {
    return storage(
      `${where}: the DynamoDB endpoint${failure.endpoint ? ` ${failure.endpoint}` : ''} is unreachable (${failure.networkCode}: ${rawMessage})`,
      true,
    );
  }
  if (failure.kind === 'server') return storage(`${where} failed on the DynamoDB side (${name || 'error'}: ${rawMessage})`, true);
  if (shape.$metadata !== undefined || shape.$fault !== undefined)
    return storage(`${where}: ${context.action} failed (${name || 'error'}: ${rawMessage})`, false);
  return error;
}

/** Like {@link mapDynamoDbError}, but anything not mapped becomes a (non-transient) `STORAGE_ERROR`. */
export function toStorageError(error: unknown, context: DynamoDbErrorContext): HostFactoryError {
  const mapped = mapDynamoDbError(error, context);
  if (isHostFactoryError(mapped)) return mapped;
  const message = error instanceof Error ? error.message : String(error);
  return new HostFactoryError('STORAGE_ERROR', `${tablesLabel(context.tables)}: ${context.action} failed (${message})`, {
    cause: error,
    details: { action: context.action, tables: [...context.tables] },
  });
}

/** A stored item that does not read back as a valid record. */
export function corruptItem(table: string, key: string, attribute: string, found: unknown): HostFactoryError {
  return new HostFactoryError('STORAGE_ERROR', `Corrupt item in DynamoDB table ${table} (${key}): attribute ${attribute} holds ${describe(found)}`, {
    details: { table, key, attribute },
  });
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'no value';
  let text: string;
  try {
    text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
