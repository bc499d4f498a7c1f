import { HostFactoryError, isHostFactoryError } from '@open-hostfactory/core';

/** The shape of better-sqlite3's `SqliteError` (matched by name, not by class). */
interface SqliteErrorLike {
  readonly name: 'SqliteError';
  readonly code: string;
  readonly message: string;
}

/** By shape, not `instanceof`: the native addon may build its errors in another realm (jest, vm). */
function isSqliteError(error: unknown): error is SqliteErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  return name === 'SqliteError' && typeof code === 'string' && typeof message === 'string';
}

/** `SQLITE_IOERR_SHORT_READ` → `SQLITE_IOERR`. */
function primaryCode(code: string): string {
  const parts = code.split('_');
  return parts.length >= 2 ? `${parts[0]}_${parts[1]}` : code;
}

const WHAT: Readonly<Record<string, string>> = {
  SQLITE_BUSY: 'is busy (another process holds the lock)',
  SQLITE_LOCKED: 'is locked',
  SQLITE_READONLY: 'is read-only',
  SQLITE_CORRUPT: 'is corrupt',
  SQLITE_NOTADB: 'is not an SQLite database',
  SQLITE_CANTOPEN: 'cannot be opened',
  SQLITE_IOERR: 'failed with an I/O error',
  SQLITE_FULL: 'is full (no space left)',
  SQLITE_PERM: 'is not accessible (permission denied)',
};

/**
 * Maps a better-sqlite3 error onto a core error, keeping it as `cause`:
 * `SQLITE_BUSY`/`SQLITE_LOCKED` → transient `STORAGE_ERROR`; a primary-key clash → `CONFLICT`;
 * every other `SqliteError` (read-only, corrupt, not a database, cannot open, I/O…) → `STORAGE_ERROR`
 * naming the file. HostFactoryErrors and anything else are returned unchanged.
 */
export function mapSqliteError(error: unknown, filePath: string): unknown {
  if (!isSqliteError(error)) return error;
  const primary = primaryCode(error.code);
  const details = { filePath, sqliteCode: error.code };
  if (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new HostFactoryError('CONFLICT', `SQLite database ${filePath}: ${error.message}`, { cause: error, details });
  }
  const what = WHAT[primary] ?? 'failed';
  return new HostFactoryError('STORAGE_ERROR', `SQLite database ${filePath} ${what} (${error.code}: ${error.message})`, {
    cause: error,
    details,
    transient: primary === 'SQLITE_BUSY' || primary === 'SQLITE_LOCKED',
  });
}

/** Like {@link mapSqliteError}, but anything not already a HostFactoryError becomes `STORAGE_ERROR`. */
export function toStorageError(error: unknown, filePath: string, doing: string): HostFactoryError {
  const mapped = mapSqliteError(error, filePath);
  if (isHostFactoryError(mapped)) return mapped;
  const { message, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown;
    code?: unknown;
  };
  const reason = typeof message === 'string' ? message : String(error);
  return new HostFactoryError('STORAGE_ERROR', `Cannot ${doing} SQLite database ${filePath}: ${reason}`, {
    cause: error,
    details: { filePath, ...(typeof code === 'string' ? { errorCode: code } : {}) },
  });
}

/** A stored row that does not read back as a valid record. */
export function corruptRow(table: string, key: string, column: string, found: unknown): HostFactoryError {
  return new HostFactoryError('STORAGE_ERROR', `Corrupt row in ${table} (${key}): column ${column} holds ${describe(found)}`, {
    details: { table, key, column },
  });
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'no value';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
