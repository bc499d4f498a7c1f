// Public API of @open-hostfactory/storage-sqlite. Explicit re-exports only.
export { DEFAULT_BUSY_TIMEOUT_MS, MAX_IDS_PER_QUERY, SqliteStateStore } from './sqlite-state-store';
export type { SqliteStateStoreOptions } from './sqlite-state-store';
export { sqliteFilePath } from './sqlite-file-path';
export { sqliteStorageModule } from './sqlite-storage-module';
export { mapSqliteError } from './errors';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations';
