import { HostFactoryError, isHostFactoryError } from '@open-hostfactory/core';

/**
 * Maps DynamoDB SDK errors onto core's codes by the AWS error name, never by `instanceof`. The
 * SDK error is always kept as `cause`. Anything that is neither a HostFactoryError, an AWS error
 * nor a network error (a programming error) passes through unchanged.
 */

/** Throttling of the table or the account: try again later. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
]);

/** DynamoDB itself failed: try again later. */
const SERVER = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);

const AUTH = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
]);

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK_MESSAGE = /socket hang up|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|EHOSTUNREACH|getaddrinfo/i;

/** Cancellation reasons of a transaction that another writer caused. */
const CONFLICT_REASONS = new Set(['ConditionalCheckFailed', 'TransactionConflict']);
const THROTTLING_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

interface AwsErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
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

/** The Node system error behind a failed connection (possibly wrapped, or one of an AggregateError). */
function systemError(error: unknown, depth = 0): AwsErrorShape | undefined {
  if (depth > 3) return undefined;
  const shape = shapeOf(error);
  // ECONNREFUSED, ETIMEDOUT… (not Node's ERR_* codes of programming errors)
  if (typeof shape.code === 'string' && /^E[A-Z]+$/.test(shape.code)) return shape;
  if (Array.isArray(shape.errors)) {
    for (const inner of shape.errors) {
      const found = systemError(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return shape.cause === undefined ? undefined : systemError(shape.cause, depth + 1);
}

/** A call that never got an HTTP answer: refused, reset, timed out… (the SDK may wrap it). */
function isNetworkError(error: unknown): boolean {
  const shape = shapeOf(error);
  if (shape.$metadata?.httpStatusCode !== undefined) return false;
  if (NETWORK_NAMES.has(awsErrorName(error))) return true;
  const system = systemError(error);
  if (system !== undefined) return true;
  const message = typeof shape.message === 'string' ? shape.message : '';
  return NETWORK_MESSAGE.test(message);
}

function isAwsError(error: unknown): boolean {
  const shape = shapeOf(error);
  return shape.$metadata !== undefined || shape.$fault !== undefined || AUTH.has(awsErrorName(error));
}

function tablesLabel(tables: readonly string[]): string {
  if (tables.length === 0) return 'DynamoDB';
  return tables.length === 1 ? `DynamoDB table ${tables[0]}` : `DynamoDB tables ${tables.join(', ')}`;
}

/** `host:port` of a failed connection, from the system error or the SDK's wrapped message. */
function endpointOf(error: unknown): string | undefined {
  const system = systemError(error);
  if (system !== undefined && typeof system.address === 'string') {
    return typeof system.port === 'number' ? `${system.address}:${system.port}` : system.address;
  }
  const message = shapeOf(error).message;
  const match = typeof message === 'string' ? /\b(?:connect )?E[A-Z]+ (\[?[\w.:-]*[\w\]]:\d+)/.exec(message) : null;
  return match?.[1];
}

function networkCode(error: unknown): string | undefined {
  const code = systemError(error)?.code;
  if (typeof code === 'string') return code;
  const message = shapeOf(error).message;
  return typeof message === 'string' ? /\b(E[A-Z]{4,})\b/.exec(message)?.[1] : undefined;
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
  if (THROTTLING.has(name)) return storage(`${where} is throttled (${name}: ${rawMessage})`, true);
  if (AUTH.has(name)) {
    return storage(`${where}: access denied or invalid credentials for ${context.action} (${name}: ${rawMessage})`, false);
  }
  if (name === 'ResourceNotFoundException') {
    return storage(`${where}: the table does not exist (${rawMessage})`, false);
  }
  if (isNetworkError(error)) {
    const endpoint = endpointOf(error);
    const code = networkCode(error);
    return storage(
      `${where}: the DynamoDB endpoint${endpoint ? ` ${endpoint}` : ''} is unreachable (${code ? `${code}: ` : ''}${rawMessage})`,
      true,
    );
  }
  const status = shape.$metadata?.httpStatusCode;
  if (SERVER.has(name) || shape.$fault === 'server' || (status !== undefined && status >= 500)) {
    return storage(`${where} failed on the DynamoDB side (${name || 'error'}: ${rawMessage})`, true);
  }
  if (isAwsError(error)) return storage(`${where}: ${context.action} failed (${name || 'error'}: ${rawMessage})`, false);
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
  return new HostFactoryError(
    'STORAGE_ERROR',
    `Corrupt item in DynamoDB table ${table} (${key}): attribute ${attribute} holds ${describe(found)}`,
    { details: { table, key, attribute } },
  );
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
