import Database from 'better-sqlite3';
import { HostFactoryError } from '@open-hostfactory/core';
import { corruptRow, mapSqliteError, toStorageError } from './errors';

const FILE = '/var/lib/hf/aws.db';

describe('mapSqliteError', () => {
  it.each(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE'])('maps %s to a transient STORAGE_ERROR', (code) => {
    const cause = new Database.SqliteError('database is locked', code);
    expect(mapSqliteError(cause, FILE)).toMatchObject({
      name: 'HostFactoryError',
      code: 'STORAGE_ERROR',
      transient: true,
      cause,
      details: { filePath: FILE, sqliteCode: code },
    });
  });

  it.each([
    ['SQLITE_READONLY', 'read-only'],
    ['SQLITE_READONLY_DBMOVED', 'read-only'],
    ['SQLITE_CORRUPT', 'corrupt'],
    ['SQLITE_NOTADB', 'not an SQLite database'],
    ['SQLITE_CANTOPEN', 'cannot be opened'],
    ['SQLITE_IOERR', 'I/O error'],
    ['SQLITE_IOERR_SHORT_READ', 'I/O error'],
    ['SQLITE_FULL', 'full'],
    ['SQLITE_ERROR', 'failed'],
  ])('maps %s to a lasting STORAGE_ERROR that names the file', (code, words) => {
    const cause = new Database.SqliteError('boom', code);
    const mapped = mapSqliteError(cause, FILE) as HostFactoryError;
    expect(mapped).toMatchObject({ code: 'STORAGE_ERROR', transient: false, cause });
    expect(mapped.message).toContain(FILE);
    expect(mapped.message).toContain(words);
    expect(mapped.message).toContain(code);
  });

  it('maps a primary-key clash to CONFLICT', () => {
    const cause = new Database.SqliteError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(mapSqliteError(cause, FILE)).toMatchObject({ code: 'CONFLICT', transient: true, cause });
  });

  it('recognises an SqliteError by shape, whatever realm built it', () => {
    const foreign = { name: 'SqliteError', code: 'SQLITE_BUSY', message: 'database is locked' };
    expect(mapSqliteError(foreign, FILE)).toMatchObject({ code: 'STORAGE_ERROR', transient: true });
  });

  it('passes anything else through unchanged', () => {
    const conflict = new HostFactoryError('CONFLICT', 'lost a race');
    const bug = new TypeError('x is undefined');
    expect(mapSqliteError(conflict, FILE)).toBe(conflict);
    expect(mapSqliteError(bug, FILE)).toBe(bug);
    expect(mapSqliteError('text', FILE)).toBe('text');
  });
});

describe('toStorageError', () => {
  it('wraps a file-system error as STORAGE_ERROR, keeping its cause and code', () => {
    const cause = Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' });
    const error = toStorageError(cause, FILE, 'open');
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', cause, details: { filePath: FILE, errorCode: 'ENOTDIR' } });
    expect(error.message).toBe(`Cannot open SQLite database ${FILE}: ENOTDIR: not a directory`);
  });

  it('keeps a HostFactoryError and maps an SqliteError', () => {
    const own = new HostFactoryError('STORAGE_ERROR', 'newer schema');
    expect(toStorageError(own, FILE, 'open')).toBe(own);
    expect(toStorageError(new Database.SqliteError('x', 'SQLITE_BUSY'), FILE, 'open').transient).toBe(true);
  });
});

describe('corruptRow', () => {
  it('names the table, the key and the column', () => {
    const error = corruptRow('machines', 'i-1', 'status', 'exploded');
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', details: { table: 'machines', key: 'i-1', column: 'status' } });
    expect(error.message).toBe('Corrupt row in machines (i-1): column status holds "exploded"');
  });
});
