// Public API of @open-hostfactory/storage-sqlite. Explicit re-exports only.
export { sqliteFilePath } from './sqlite-file-path';
export { sqliteStorageModule } from './sqlite-storage-module';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations';
