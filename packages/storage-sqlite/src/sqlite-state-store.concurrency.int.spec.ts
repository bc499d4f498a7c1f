import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aMachine, anAcquireRequest } from '@open-hostfactory/core/testing';
import { SCHEMA_VERSION } from './migrations';
import { SqliteStateStore } from './sqlite-state-store';
import type { ConcurrentWriterReport as WriterReport } from '@open-hostfactory/core/testing';
import type { WriterArgs } from '../test/concurrent-writer';
import { bundleWriter, runWriter } from '../../../tools/testing/writer-processes';

const WRITERS = 8;
const INCREMENTS = 25;

const runChild = (script: string, args: WriterArgs) => runWriter(script, args);

describe('SqliteStateStore shared by several OS processes', () => {
  let bundleDir: string;
  let script: string;
  let dir: string;

  beforeAll(() => {
    // The children run the real adapter code, bundled (better-sqlite3 stays a native require).
    ({ dir: bundleDir, script } = bundleWriter('packages/storage-sqlite/test/concurrent-writer.ts', ['better-sqlite3']));
  });

  afterAll(() => {
    rmSync(bundleDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ohf-sqlite-mp-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(`opens and migrates a new file from ${WRITERS} processes at once`, async () => {
    const filePath = join(dir, 'fresh', 'provider.db');
    const startAt = Date.now() + 1000;
    const outcomes = await Promise.all(
      Array.from({ length: WRITERS }, (_, worker) => runChild(script, { filePath, worker, increments: 3, sharedRequestIds: [], startAt })),
    );
    for (const outcome of outcomes) expect(outcome).toMatchObject({ code: 0, stderr: '' });

    const store = await SqliteStateStore.open({ filePath });
    try {
      expect(await store.listRequests({})).toHaveLength(WRITERS * 3);
      expect(await store.getMachines({ held: true })).toHaveLength(WRITERS * 3);
    } finally {
      await store.close();
    }
    const raw = new Database(filePath, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
    }
  }, 60_000);

  it(`loses no update when ${WRITERS} processes write at once`, async () => {
    const filePath = join(dir, 'shared.db');
    const sharedRequestIds = ['req-shared-a', 'req-shared-b'];
    const pairRequestId = 'req-shared-pair';
    const sharedMachineId = 'i-shared';
    const setup = await SqliteStateStore.open({ filePath });
    await setup.write({
      requests: [...sharedRequestIds, pairRequestId].map((requestId) => anAcquireRequest({ requestId, createdAt: 0 })),
      machines: [aMachine({ machineId: sharedMachineId, requestId: pairRequestId, message: '0', createdAt: 0 })],
    });
    await setup.close();

    const startAt = Date.now() + 1500;
    const outcomes = await Promise.all(
      Array.from({ length: WRITERS }, (_, worker) =>
        runChild(script, { filePath, worker, increments: INCREMENTS, sharedRequestIds, pairRequestId, sharedMachineId, startAt }),
      ),
    );

    for (const outcome of outcomes) expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const reports = outcomes.map((outcome) => JSON.parse(outcome.stdout) as WriterReport);
    // They really ran at the same time: the last one started before the first one ended.
    expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.endedAt)));

    const store = await SqliteStateStore.open({ filePath });
    try {
      for (const report of reports) {
        expect(report.ownRequestIds).toHaveLength(INCREMENTS);
        const own = await store.getRequests(report.ownRequestIds);
        expect(own.map((r) => r.requestId)).toEqual(report.ownRequestIds);
        expect(own.every((r) => r.version === 1)).toBe(true);
        const machines = await store.getMachines({ requestIds: report.ownRequestIds });
        expect(machines.map((m) => m.machineId).sort()).toEqual([...report.ownMachineIds].sort());
      }
      expect(await store.listRequests({})).toHaveLength(3 + WRITERS * INCREMENTS);

      const total = WRITERS * INCREMENTS;
      const shared = await store.getRequests(sharedRequestIds);
      expect(shared.map((r) => r.providerData['counter'])).toEqual([String(total), String(total)]);
      expect(shared.map((r) => r.version)).toEqual([total + 1, total + 1]);
      const [pair] = await store.getRequests([pairRequestId]);
      const [machine] = await store.getMachines({ machineIds: [sharedMachineId] });
      expect(pair).toMatchObject({ launchAttempts: total, providerData: { counter: String(total) }, version: total + 1 });
      expect(machine).toMatchObject({ message: String(total), version: total + 1 });
    } finally {
      await store.close();
    }
  }, 60_000);
});
