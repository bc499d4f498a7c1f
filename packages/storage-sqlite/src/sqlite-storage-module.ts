import { ContainerModule } from 'inversify';
import { StateStore } from '@open-hostfactory/core';
import { SqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state-store';

/**
 * Binds {@link SqliteStateStore} (singleton, closed when the container unbinds it) and the core
 * `StateStore` token to it.
 */
export function sqliteStorageModule(options: SqliteStateStoreOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SqliteStateStore)
      .toDynamicValue(() => new SqliteStateStore(options))
      .inSingletonScope()
      .onDeactivation((store) => store.closeSync());
    bind<StateStore>(StateStore).toService(SqliteStateStore);
  });
}
