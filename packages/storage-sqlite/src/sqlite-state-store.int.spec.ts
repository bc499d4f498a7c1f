import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aMachine, anAcquireRequest, describeStateStoreContract } from '@open-hostfactory/core/testing';
import { SqliteStateStore } from './sqlite-state-store';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ohf-sqlite-'));
}

describeStateStoreContract('SqliteStateStore', async () => {
  const dir = tempDir();
  return {
    store: new SqliteStateStore({ filePath: join(dir, 'contract.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStateStore on a real file', () => {
  let dir: string;
  let filePath: string;
  const stores: SqliteStateStore[] = [];

  const open = async (options: Partial<ConstructorParameters<typeof SqliteStateStore>[0]> = {}): Promise<SqliteStateStore> => {
    const store = await SqliteStateStore.open({ filePath, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = tempDir();
    filePath = join(dir, 'nested', 'deeper', 'provider.db');
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('opening and migrations', () => {
    it('creates the directory and a fresh schema at the current version', async () => {
      const store = await open();
      expect(await store.listRequests({})).toEqual([]);
      const raw = new Database(filePath, { readonly: true });
      try {
        expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
        const tables = raw
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
          .all()
          .map((row) => (row as { name: string }).name);
        expect(tables).toEqual(['cache', 'machines', 'requests']);
        const indexes = raw
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'machines' AND name NOT LIKE 'sqlite_%'`)
          .all()
          .map((row) => (row as { name: string }).name);
        expect(indexes).toEqual(
          expect.arrayContaining(['machines_request_id', 'machines_return_request_id', 'machines_name', 'machines_held', 'machines_quota']),
        );
      } finally {
        raw.close();
      }
    });

    it('answers the quota and sweep queries from live-only partial indexes (their cost does not grow with history)', async () => {
      await (await open()).close();
      const raw = new Database(filePath, { readonly: true });
      try {
        const plan = (sql: string): string =>
          raw
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all('T')
            .map((row) => (row as { detail: string }).detail)
            .join('; ');
        expect(
          plan(
            `SELECT * FROM machines WHERE template_id = ? AND result <> 'fail' AND gone = 0 AND (return_request_id IS NULL OR status <> 'terminated')`,
          ),
        ).toContain('machines_quota');
        // Running requests only (requests_status), never the template's history (requests_template_id).
        expect(
          plan(`SELECT * FROM requests WHERE template_id = ? AND status = 'running' AND kind = 'acquire' ORDER BY created_at, request_id`),
        ).toContain('requests_status (status=?)');
        expect(plan(`SELECT * FROM requests WHERE status IN ('complete', ?) AND closed_at IS NULL ORDER BY created_at, request_id`)).toContain(
          'requests_open',
        );
      } finally {
        raw.close();
      }
    });

    it('turns WAL mode on, synchronous NORMAL and the busy timeout', async () => {
      const store = await open({ busyTimeoutMs: 1234 });
      await store.putCached('k', 'v', Number.MAX_SAFE_INTEGER);
      const raw = new Database(filePath);
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
      const db = (store as unknown as { connection: { db: Database.Database } }).connection.db;
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    });

    it('keeps the data when the file is opened again', async () => {
      const first = await open();
      await first.write({ requests: [anAcquireRequest()], machines: [aMachine()] });
      await first.putCached('k', 'v', 10_000);
      await first.close();

      const second = await open();
      expect(await second.getRequests([anAcquireRequest().requestId])).toEqual([{ ...anAcquireRequest(), version: 1 }]);
      expect(await second.getMachines({ held: true })).toEqual([{ ...aMachine(), version: 1 }]);
      expect(await second.getCached('k', 0)).toBe('v');
    });

    it('opens lazily and reopens after close', async () => {
      const store = new SqliteStateStore({ filePath });
      stores.push(store);
      await store.close();
      await store.write({ requests: [anAcquireRequest()] });
      await store.close();
      expect(await store.getRequests([anAcquireRequest().requestId])).toHaveLength(1);
    });

    it('upgrades a version 1 database in place, keeping its requests and machines', async () => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
      const old = new Database(filePath);
      old.exec(MIGRATIONS[0]!);
      old.pragma('user_version = 1');
      old
        .prepare(
          `INSERT INTO requests (request_id, kind, template_id, provider_api, machine_count, status, message,
             launch_attempts, failed_attempts, provider_data, created_at, updated_at, version)
           VALUES ('req-v1', 'acquire', 'T', 'RunInstances', 2, 'running', '', 1, 0, '{}', 1, 2, 1)`,
        )
        .run();
      old
        .prepare(
          `INSERT INTO machines (machine_id, request_id, template_id, provider_api, return_request_id, name,
             private_ip_address, public_ip_address, launch_time, status, result, message, price_type, instance_type,
             instance_tags, cloud_host_id, gone, notice_kind, notice_deadline, created_at, updated_at, version)
           VALUES ('i-v1', 'req-v1', 'T', 'RunInstances', NULL, 'ip-1', '10.0.0.1', '', 5, 'running', 'succeed', '',
             'ondemand', 't3.medium', '', NULL, 0, NULL, NULL, 1, 2, 1)`,
        )
        .run();
      old.close();
      const store = await open();
      expect(await store.getMachines({ machineIds: ['i-v1'] })).toEqual([expect.objectContaining({ machineId: 'i-v1', weight: 1 })]);
      const [request] = await store.getRequests(['req-v1']);
      expect(request).toMatchObject({ requestId: 'req-v1', machineCount: 2, version: 1 });
      // Requests of older releases count as polled by HF: never taken for orphans after an upgrade.
      expect(request!.firstPolledAt).toBe(1);
      expect(request!.closedAt).toBeUndefined();
      expect(request!.rcAccount).toBeUndefined();
      const check = new Database(filePath, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      check.close();
      const [written] = (
        await store.write({ requests: [{ ...request!, launchLease: { until: 9, holder: 'h', count: 2 }, closedAt: 99, rcAccount: 'desk-1' }] })
      ).requests;
      expect((await store.getRequests(['req-v1']))[0]).toEqual(written);
      const [load] = await store.loadOf(['T']);
      expect(load!.machines.map((m) => m.machineId)).toEqual(['i-v1']);
    });

    it('refuses a database written by a newer schema, naming both versions', async () => {
      await (await open()).close();
      const raw = new Database(filePath);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 41}`);
      raw.close();

      const error = await SqliteStateStore.open({ filePath }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'HostFactoryError', code: 'STORAGE_ERROR' });
      expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION + 41}`);
      expect((error as Error).message).toContain(`newer than ${SCHEMA_VERSION}`);
      const lazy = new SqliteStateStore({ filePath });
      await expect(lazy.listRequests({})).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    });
  });

  describe('errors', () => {
    it('fails writes to a read-only database with STORAGE_ERROR and leaves the data unchanged', async () => {
      const writer = await open();
      const [stored] = (await writer.write({ requests: [anAcquireRequest()] })).requests;
      await writer.close();
      chmodSync(filePath, 0o444); // enough for ordinary users; root needs the read-only handle too

      const store = await open({ readonly: true });
      const error = await store.write({ requests: [{ ...stored!, status: 'complete' }] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'HostFactoryError', code: 'STORAGE_ERROR', transient: false });
      expect((error as Error).message).toContain(filePath);
      expect((error as Error).message).toContain('read-only');
      expect((error as Error).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
      await expect(store.putCached('k', 'v', 1)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
      expect(await store.getRequests([stored!.requestId])).toEqual([stored]);
    });

    it('fails with STORAGE_ERROR on a file that is not a database', async () => {
      const notADb = join(dir, 'garbage.db');
      writeFileSync(notADb, 'this is not an SQLite database, just some text that is long enough to have a header'.repeat(20));
      const error = await SqliteStateStore.open({ filePath: notADb }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'HostFactoryError', code: 'STORAGE_ERROR' });
      expect((error as Error).message).toContain(notADb);
      expect((error as Error).cause).toMatchObject({ code: 'SQLITE_NOTADB' });
    });

    it('fails with STORAGE_ERROR when the directory cannot be created', async () => {
      const blocker = join(dir, 'a-file');
      writeFileSync(blocker, 'not a directory');
      const store = new SqliteStateStore({ filePath: join(blocker, 'sub', 'provider.db') });
      const error = await store.getRequests(['req-1']).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'HostFactoryError', code: 'STORAGE_ERROR' });
      expect((error as Error).message).toContain(join(blocker, 'sub', 'provider.db'));
      await expect(SqliteStateStore.open({ filePath: join(blocker, 'x.db') })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
      });
    });

    it('fails with STORAGE_ERROR when the path is a directory', async () => {
      await expect(SqliteStateStore.open({ filePath: dir })).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    });

    it('reports a transient STORAGE_ERROR when another process holds the write lock too long', async () => {
      const store = await open({ busyTimeoutMs: 50 });
      await store.write({ requests: [anAcquireRequest()] });
      const other = new Database(filePath);
      try {
        other.exec('BEGIN IMMEDIATE');
        const error = await store.write({ machines: [aMachine()] }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'STORAGE_ERROR', transient: true });
        expect((error as Error).cause).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
        other.exec('ROLLBACK');
      } finally {
        other.close();
      }
      expect(await store.write({ machines: [aMachine()] })).toMatchObject({ machines: [{ version: 1 }] });
    });

    it('rejects a corrupt row with STORAGE_ERROR naming the table and column', async () => {
      const store = await open();
      await store.write({ requests: [anAcquireRequest()], machines: [aMachine()] });
      const raw = new Database(filePath);
      raw.prepare(`UPDATE requests SET status = 'bogus'`).run();
      raw.prepare(`UPDATE machines SET gone = 7`).run();
      raw.close();

      await expect(store.getRequests([anAcquireRequest().requestId])).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        details: { table: 'requests', column: 'status' },
      });
      await expect(store.listRequests({})).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
      await expect(store.getMachines({ held: true, machineIds: [aMachine().machineId] })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        details: { table: 'machines', column: 'gone' },
      });
    });

    it('rejects providerData that is not a JSON map of strings', async () => {
      const store = await open();
      await store.write({ requests: [anAcquireRequest()] });
      const raw = new Database(filePath);
      raw.prepare(`UPDATE requests SET provider_data = '{"fleetId": 42}'`).run();
      raw.close();
      await expect(store.getRequests([anAcquireRequest().requestId])).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        details: { column: 'provider_data' },
      });
    });
  });
});
