import type BetterSqlite3 from 'better-sqlite3';
import { HostFactoryError } from '@open-hostfactory/core';

/**
 * Schema migrations: entry i brings a database from version i to version i + 1 (kept in
 * `PRAGMA user_version`). Append only; never edit a released migration.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS requests (
    request_id      TEXT    NOT NULL PRIMARY KEY,
    kind            TEXT    NOT NULL,
    template_id     TEXT,
    provider_api    TEXT,
    machine_count   INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    launch_attempts INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    provider_data   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS requests_created_at ON requests (created_at, request_id);
  CREATE INDEX IF NOT EXISTS requests_status ON requests (status, created_at);
  CREATE INDEX IF NOT EXISTS requests_template_id ON requests (template_id);

  CREATE TABLE IF NOT EXISTS machines (
    machine_id         TEXT    NOT NULL PRIMARY KEY,
    request_id         TEXT    NOT NULL,
    template_id        TEXT    NOT NULL,
    provider_api       TEXT    NOT NULL,
    return_request_id  TEXT,
    name               TEXT    NOT NULL,
    private_ip_address TEXT    NOT NULL,
    public_ip_address  TEXT    NOT NULL,
    launch_time        INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    result             TEXT    NOT NULL,
    message            TEXT    NOT NULL,
    price_type         TEXT    NOT NULL,
    instance_type      TEXT    NOT NULL,
    instance_tags      TEXT    NOT NULL,
    cloud_host_id      TEXT,
    gone               INTEGER NOT NULL,
    notice_kind        TEXT,
    notice_deadline    INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS machines_request_id ON machines (request_id);
  CREATE INDEX IF NOT EXISTS machines_return_request_id ON machines (return_request_id);
  CREATE INDEX IF NOT EXISTS machines_template_id ON machines (template_id);
  CREATE INDEX IF NOT EXISTS machines_name ON machines (name);
  CREATE INDEX IF NOT EXISTS machines_held ON machines (created_at)
    WHERE result <> 'fail' AND return_request_id IS NULL AND gone = 0;

  CREATE TABLE IF NOT EXISTS cache (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // 2: failed launches whose outcome is unknown are swept for orphaned instances until this time.
  `
  ALTER TABLE requests ADD COLUMN orphan_check_until INTEGER;
  CREATE INDEX IF NOT EXISTS requests_orphan_check ON requests (orphan_check_until) WHERE orphan_check_until IS NOT NULL;
  `,
  // 3: capacity units per machine (vmTypes weights); machines stored before count 1.
  `
  ALTER TABLE machines ADD COLUMN weight REAL NOT NULL DEFAULT 1;
  `,
  // 4: launch leases, HF's first poll, closed requests; live-only indexes for quota and sweeps.
  // Requests stored before count as polled (never taken for orphans) and open (the sweep closes
  // those that hold nothing). orphan_check_until is no longer used (the sweep replaced it).
  `
  ALTER TABLE requests ADD COLUMN lease_until INTEGER;
  ALTER TABLE requests ADD COLUMN lease_holder TEXT;
  ALTER TABLE requests ADD COLUMN lease_count INTEGER;
  ALTER TABLE requests ADD COLUMN first_polled_at INTEGER;
  ALTER TABLE requests ADD COLUMN closed_at INTEGER;
  UPDATE requests SET first_polled_at = created_at WHERE kind = 'acquire';
  DROP INDEX IF EXISTS requests_orphan_check;
  DROP INDEX IF EXISTS machines_template_id;
  CREATE INDEX IF NOT EXISTS requests_open ON requests (status, created_at) WHERE closed_at IS NULL;
  CREATE INDEX IF NOT EXISTS machines_quota ON machines (template_id)
    WHERE result <> 'fail' AND gone = 0 AND (return_request_id IS NULL OR status <> 'terminated');
  `,
  // 5: HF's rc_account of an acquire request (requests stored before have none).
  `
  ALTER TABLE requests ADD COLUMN rc_account TEXT;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to {@link SCHEMA_VERSION} in one `BEGIN IMMEDIATE` transaction (so that
 * processes opening a new file at once apply each migration once). A database written by newer
 * code is refused with `STORAGE_ERROR`.
 */
export function migrate(db: BetterSqlite3.Database, filePath: string): void {
  const check = (version: number): void => {
    if (version > SCHEMA_VERSION) {
      throw new HostFactoryError(
        'STORAGE_ERROR',
        `SQLite database ${filePath} has schema version ${version}, newer than ${SCHEMA_VERSION} ` +
          'that this version of open-hostfactory supports; upgrade open-hostfactory',
        { details: { filePath, databaseVersion: version, supportedVersion: SCHEMA_VERSION } },
      );
    }
  };
  const current = schemaVersion(db);
  check(current);
  if (current === SCHEMA_VERSION) return;
  db.transaction(() => {
    const version = schemaVersion(db); // another process may have migrated meanwhile
    check(version);
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
