import { ContainerModule } from 'inversify';
import { StateStore } from '@open-hostfactory/core';
import { DynamoDbStateStore, type DynamoDbStateStoreOptions } from './dynamo-db-state-store';

/**
 * Binds {@link DynamoDbStateStore} (singleton, closed when the container unbinds it) and the core
 * `StateStore` token to it. Nothing is sent to DynamoDB until the store is first used.
 */
export function dynamoDbStorageModule(options: DynamoDbStateStoreOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(DynamoDbStateStore)
      .toDynamicValue(() => new DynamoDbStateStore(options))
      .inSingletonScope()
      .onDeactivation((store) => store.closeSync());
    bind<StateStore>(StateStore).toService(DynamoDbStateStore);
  });
}
