// Public API of @open-hostfactory/storage-dynamodb. Explicit re-exports only.
export { createDynamoDbClient } from './dynamo-db-client';
export { dynamoDbStorageModule } from './dynamo-db-storage-module';
