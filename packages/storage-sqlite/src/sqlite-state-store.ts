import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { HostFactoryError } from '@open-hostfactory/core';
import type {
  Machine,
  MachineQuery,
  PurgeResult,
  Request,
  StoreInspection,
  RequestQuery,
  StateChanges,
  StateStore,
  StoredChanges,
  TemplateLoad,
} from '@open-hostfactory/core';
import { mapSqliteError, toStorageError } from './errors';
import { MACHINE_COLUMNS, machineFromRow, machineToRow } from './machine-row';
import { migrate } from './migrations';
import { REQUEST_COLUMNS, requestFromRow, requestToRow } from './request-row';

export interface SqliteStateStoreOptions {
  /** The database file; its directory is created when missing. See `sqliteFilePath`. */
  readonly filePath: string;
  /** How long a writer waits for another process's lock before `STORAGE_ERROR` (transient). */
  readonly busyTimeoutMs?: number;
  /** Opens the file read-only (diagnostics); every write then fails with `STORAGE_ERROR`. */
  readonly readonly?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Most ids bound in one `IN (…)` list. */
export const MAX_IDS_PER_QUERY = 500;

interface Statements {
  readonly requestVersion: BetterSqlite3.Statement<[string], { version: number }>;
  readonly machineVersion: BetterSqlite3.Statement<[string], { version: number }>;
  readonly insertRequest: BetterSqlite3.Statement<unknown[]>;
  readonly updateRequest: BetterSqlite3.Statement<unknown[]>;
  readonly insertMachine: BetterSqlite3.Statement<unknown[]>;
  readonly updateMachine: BetterSqlite3.Statement<unknown[]>;
  readonly getCached: BetterSqlite3.Statement<[string, number], { value: string }>;
  readonly putCached: BetterSqlite3.Statement<[string, string, number]>;
  readonly takeLease: BetterSqlite3.Statement<{ key: string; holder: string; until: number; now: number }>;
}

interface Connection {
  readonly db: BetterSqlite3.Database;
  readonly statements: Statements;
}

const HELD = `result <> 'fail' AND return_request_id IS NULL AND gone = 0`;
/** countsAgainstQuota, as the partial index machines_quota states it (the query must say the same). */
const COUNTS_AGAINST_QUOTA = `result <> 'fail' AND gone = 0 AND (return_request_id IS NULL OR status <> 'terminated')`;
/** Leases live in the cache table under their own prefix. */
const LEASE_PREFIX = 'lease:';

/**
 * {@link StateStore} in one SQLite file (WAL mode), safe for several processes at once: every
 * write is one `BEGIN IMMEDIATE` transaction that checks the versions it replaces. The file is
 * opened, and its schema migrated, on first use; a file that cannot be opened fails that call with
 * `STORAGE_ERROR`.
 */
export class SqliteStateStore implements StateStore {
  readonly filePath: string;
  private readonly busyTimeoutMs: number;
  private readonly readonly: boolean;
  private connection: Connection | undefined;

  constructor(options: SqliteStateStoreOptions) {
    this.filePath = options.filePath;
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.readonly = options.readonly ?? false;
  }

  /** A store with its file already opened and migrated. Throws `STORAGE_ERROR` when it cannot. */
  static async open(options: SqliteStateStoreOptions): Promise<SqliteStateStore> {
    const store = new SqliteStateStore(options);
    store.connect();
    return store;
  }

  async write(changes: StateChanges): Promise<StoredChanges> {
    const requests = changes.requests ?? [];
    const machines = changes.machines ?? [];
    if (requests.length === 0 && machines.length === 0) return { requests: [], machines: [] };
    return this.run((connection) => connection.db.transaction(() => this.writeSync(connection, requests, machines)).immediate());
  }

  /** The versioned writes of one transaction (the caller holds it). */
  private writeSync(connection: Connection, requests: readonly Request[], machines: readonly Machine[]): StoredChanges {
    const s = connection.statements;
    const storedRequests = requests.map((request) => {
      const row = requestToRow(request);
      this.checkVersion('Request', request.requestId, request.version, s.requestVersion.get(request.requestId));
      const next = { ...row, version: request.version + 1 };
      if (request.version === 0) s.insertRequest.run(next);
      else this.expectOneChange('Request', request, s.updateRequest.run({ ...next, previous_version: request.version }));
      return requestFromRow(next);
    });
    const storedMachines = machines.map((machine) => {
      const row = machineToRow(machine);
      this.checkVersion('Machine', machine.machineId, machine.version, s.machineVersion.get(machine.machineId));
      const next = { ...row, version: machine.version + 1 };
      if (machine.version === 0) s.insertMachine.run(next);
      else this.expectOneChange('Machine', machine, s.updateMachine.run({ ...next, previous_version: machine.version }));
      return machineFromRow(next);
    });
    return { requests: storedRequests, machines: storedMachines };
  }

  /** A template's load from live-only indexes (the partial machines_quota, requests_status on 'running'). */
  private loadSync(db: BetterSqlite3.Database, templateId: string): TemplateLoad {
    const machines = db.prepare(`SELECT * FROM machines WHERE template_id = ? AND ${COUNTS_AGAINST_QUOTA}`).all(templateId).map(machineFromRow);
    const requests = db
      .prepare(`SELECT * FROM requests WHERE template_id = ? AND status = 'running' AND kind = 'acquire' ORDER BY created_at, request_id`)
      .all(templateId)
      .map(requestFromRow);
    const requestMachines: Machine[] = [];
    for (const ids of chunks(requests.map((r) => r.requestId))) {
      requestMachines.push(
        ...db
          .prepare(`SELECT * FROM machines WHERE request_id IN (${marks(ids.length)})`)
          .all(...ids)
          .map(machineFromRow),
      );
    }
    return { templateId, machines, requests, requestMachines };
  }

  async getRequests(requestIds: readonly string[]): Promise<Request[]> {
    const unique = [...new Set(requestIds)];
    if (unique.length === 0) return [];
    const byId = this.run(({ db }) =>
      db.transaction(() => {
        const found = new Map<string, Request>();
        for (const ids of chunks(unique)) {
          const rows = db.prepare(`SELECT * FROM requests WHERE request_id IN (${marks(ids.length)})`).all(...ids);
          for (const row of rows) {
            const request = requestFromRow(row);
            found.set(request.requestId, request);
          }
        }
        return found;
      })(),
    );
    return unique.flatMap((id) => {
      const request = byId.get(id);
      return request === undefined ? [] : [request];
    });
  }

  async listRequests(query: RequestQuery): Promise<Request[]> {
    if (query.statuses !== undefined && query.statuses.length === 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.kind !== undefined) {
      where.push('kind = ?');
      params.push(query.kind);
    }
    if (query.statuses !== undefined) {
      const statuses = [...new Set(query.statuses)];
      where.push(`status IN (${marks(statuses.length)})`);
      params.push(...statuses);
    }
    if (query.templateId !== undefined) {
      where.push('template_id = ?');
      params.push(query.templateId);
    }
    if (query.open === true) where.push('closed_at IS NULL'); // partial index requests_open
    const sql = `SELECT * FROM requests ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, request_id`;
    return this.run(({ db }) =>
      db
        .prepare(sql)
        .all(...params)
        .map(requestFromRow),
    );
  }

  async getMachines(query: MachineQuery): Promise<Machine[]> {
    const byColumn: [string, readonly string[] | undefined][] = [
      ['machine_id', query.machineIds],
      ['name', query.names],
      ['request_id', query.requestIds],
      ['return_request_id', query.returnRequestIds],
    ];
    const lookups = byColumn.filter(([, values]) => values !== undefined && values.length > 0);
    if (lookups.length === 0 && query.held !== true) return [];
    const found = this.run(({ db }) =>
      db.transaction(() => {
        const machines = new Map<string, Machine>();
        const add = (rows: unknown[]): void => {
          for (const row of rows) {
            const machine = machineFromRow(row);
            machines.set(machine.machineId, machine);
          }
        };
        for (const [column, values] of lookups) {
          for (const ids of chunks([...new Set(values)])) {
            add(db.prepare(`SELECT * FROM machines WHERE ${column} IN (${marks(ids.length)})`).all(...ids));
          }
        }
        if (query.held === true) add(db.prepare(`SELECT * FROM machines WHERE ${HELD}`).all());
        return [...machines.values()];
      })(),
    );
    return found.sort((a, b) => a.createdAt - b.createdAt || compare(a.machineId, b.machineId));
  }

  async loadOf(templateIds: readonly string[]): Promise<TemplateLoad[]> {
    return this.run(({ db }) => db.transaction(() => templateIds.map((id) => this.loadSync(db, id)))());
  }

  async admit(request: Request, accepts: (load: TemplateLoad) => boolean): Promise<Request | undefined> {
    return this.run((connection) =>
      connection.db
        .transaction((): Request | undefined => {
          // BEGIN IMMEDIATE: the load is read under the write lock, so admissions are serial.
          if (!accepts(this.loadSync(connection.db, request.templateId ?? ''))) return undefined;
          return this.writeSync(connection, [request], []).requests[0];
        })
        .immediate(),
    );
  }

  async takeLease(name: string, holder: string, until: number, now: number): Promise<boolean> {
    return this.run(({ statements }) => statements.takeLease.run({ key: `${LEASE_PREFIX}${name}`, holder, until, now }).changes === 1);
  }

  async getCached(key: string, now: number): Promise<string | undefined> {
    return this.run(({ statements }) => statements.getCached.get(key, now)?.value);
  }

  async putCached(key: string, value: string, expiresAt: number): Promise<void> {
    this.run(({ statements }) => statements.putCached.run(key, value, expiresAt));
  }

  async purge(closedBefore: number, limit: number): Promise<PurgeResult> {
    return this.run(({ db }) =>
      db
        .transaction((): PurgeResult => {
          const ids = (
            db
              .prepare('SELECT request_id FROM requests WHERE closed_at IS NOT NULL AND closed_at < ? ORDER BY closed_at LIMIT ?')
              .all(closedBefore, limit) as {
              request_id: string;
            }[]
          ).map((row) => row.request_id);
          let requests = 0;
          let machines = 0;
          for (const part of chunks(ids)) {
            machines += db.prepare(`DELETE FROM machines WHERE request_id IN (${marks(part.length)})`).run(...part).changes;
            requests += db.prepare(`DELETE FROM requests WHERE request_id IN (${marks(part.length)})`).run(...part).changes;
          }
          return { requests, machines };
        })
        .immediate(),
    );
  }

  async inspect(): Promise<StoreInspection> {
    return this.run(({ db }) => {
      const schema = db.pragma('user_version', { simple: true }) as number;
      const mode = (statSync(this.filePath).mode & 0o777).toString(8);
      const size = statSync(this.filePath).size;
      return {
        summary: `SQLite ${this.filePath}, schema ${schema}, ${Math.ceil(size / 1024)} KiB, mode ${mode}`,
        warnings: mode === '600' ? [] : [`${this.filePath} has mode ${mode}: others can read the state`],
      };
    });
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** {@link close} for synchronous callers (container deactivation, exit handlers). Idempotent. */
  closeSync(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined) return;
    try {
      connection.db.close();
    } catch (error) {
      throw toStorageError(error, this.filePath, 'close');
    }
  }

  private run<T>(operation: (connection: Connection) => T): T {
    const connection = this.connect();
    try {
      return operation(connection);
    } catch (error) {
      throw mapSqliteError(error, this.filePath);
    }
  }

  private connect(): Connection {
    if (this.connection !== undefined) return this.connection;
    if (!this.readonly) {
      try {
        mkdirSync(dirname(this.filePath), { recursive: true });
      } catch (error) {
        throw toStorageError(error, this.filePath, 'create the directory of');
      }
      ownerOnly(this.filePath);
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(this.filePath, {
        timeout: this.busyTimeoutMs,
        readonly: this.readonly,
        fileMustExist: this.readonly,
      });
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(this.busyTimeoutMs))}`);
      enableWal(db, this.busyTimeoutMs);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, this.filePath);
      this.connection = { db, statements: prepareStatements(db) };
      return this.connection;
    } catch (error) {
      try {
        db?.close();
      } catch {
        // the open failure below is what matters
      }
      throw toStorageError(error, this.filePath, 'open');
    }
  }

  private checkVersion(label: string, id: string, version: number, stored: { version: number } | undefined): void {
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new HostFactoryError('INVALID_INPUT', `${label} ${id} has an invalid version ${version}`, {
        details: { id, version },
      });
    }
    if (version === 0 && stored !== undefined) {
      throw new HostFactoryError('CONFLICT', `${label} ${id} already exists (version ${stored.version})`, {
        details: { id, expectedVersion: 0, actualVersion: stored.version },
      });
    }
    if (version > 0 && stored?.version !== version) {
      const actual = stored === undefined ? 'missing' : `version ${stored.version}`;
      throw new HostFactoryError('CONFLICT', `${label} ${id} was changed elsewhere (${actual}, expected version ${version})`, {
        details: { id, expectedVersion: version, actualVersion: stored?.version },
      });
    }
  }

  private expectOneChange(label: string, record: Request | Machine, result: BetterSqlite3.RunResult): void {
    if (result.changes !== 1) {
      const id = 'machineId' in record ? record.machineId : record.requestId;
      throw new HostFactoryError('CONFLICT', `${label} ${id} was changed elsewhere (expected version ${record.version})`, {
        details: { id, expectedVersion: record.version },
      });
    }
  }
}

function prepareStatements(db: BetterSqlite3.Database): Statements {
  const insert = (table: string, columns: readonly string[]): string =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
  const update = (table: string, columns: readonly string[], key: string): string =>
    `UPDATE ${table} SET ${columns
      .filter((c) => c !== key)
      .map((c) => `${c} = @${c}`)
      .join(', ')} WHERE ${key} = @${key} AND version = @previous_version`;
  return {
    requestVersion: db.prepare('SELECT version FROM requests WHERE request_id = ?'),
    machineVersion: db.prepare('SELECT version FROM machines WHERE machine_id = ?'),
    insertRequest: db.prepare(insert('requests', REQUEST_COLUMNS)),
    updateRequest: db.prepare(update('requests', REQUEST_COLUMNS, 'request_id')),
    insertMachine: db.prepare(insert('machines', MACHINE_COLUMNS)),
    updateMachine: db.prepare(update('machines', MACHINE_COLUMNS, 'machine_id')),
    getCached: db.prepare('SELECT value FROM cache WHERE key = ? AND expires_at > ?'),
    putCached: db.prepare(
      'INSERT INTO cache (key, value, expires_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    ),
    takeLease: db.prepare(
      'INSERT INTO cache (key, value, expires_at) VALUES (@key, @holder, @until) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE cache.expires_at <= @now',
    ),
  };
}

/**
 * Switches the file to WAL. SQLite does not wait on its busy handler for this, so processes that
 * open a new file together retry here until the busy timeout.
 */
function enableWal(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/**
 * The database file owner-only (0600) whatever the umask: created so when missing, and narrowed
 * when it is wider (a file of an older release). SQLite gives its -wal and -shm files the mode
 * of the database file.
 */
function ownerOnly(filePath: string): void {
  try {
    closeSync(openSync(filePath, 'a', 0o600));
    if ((statSync(filePath).mode & 0o077) !== 0) chmodSync(filePath, 0o600);
  } catch {
    // Not ours to change (a read-only mount, another owner): opening it reports what matters.
  }
}

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_QUERY) out.push(ids.slice(i, i + MAX_IDS_PER_QUERY));
  return out;
}

function marks(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
