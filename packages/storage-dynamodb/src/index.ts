// Public API of @open-hostfactory/storage-dynamodb. Explicit re-exports only.
export {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_TABLE_WAIT_TIMEOUT_MS,
  DynamoDbStateStore,
  MAX_BATCH_GET_KEYS,
  MAX_TRANSACTION_ITEMS,
} from './dynamo-db-state-store';
export type { DynamoDbStateStoreOptions } from './dynamo-db-state-store';
export { createDynamoDbClient } from './dynamo-db-client';
export type { DynamoDbClientLike, DynamoDbClientOptions } from './dynamo-db-client';
export { dynamoDbStorageModule } from './dynamo-db-storage-module';
export { mapDynamoDbError } from './errors';
export type { DynamoDbErrorContext } from './errors';
export { MACHINE_INDEXES, REQUEST_INDEXES, TTL_ATTRIBUTE, tableNames } from './table-design';
export type { TableNames } from './table-design';
