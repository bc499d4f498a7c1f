import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { aMachine, anAcquireRequest } from '@open-hostfactory/core/testing';
import { DynamoDbStateStore } from './dynamo-db-state-store';
import { deleteTables, motoClient, motoEndpoint, uniquePrefix } from '../test/moto';
import { startSerializingProxy, type SerializingProxy } from '../../../tools/moto/serializing-proxy';
import type { WriterArgs, WriterReport } from '../test/concurrent-writer';

const REPO = resolve(__dirname, '../../..');
const WRITERS = 6;
const INCREMENTS = 10;

interface ChildOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runChild(script: string, args: WriterArgs): Promise<ChildOutcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, JSON.stringify(args)], {
      env: {
        ...process.env,
        NODE_PATH: join(REPO, 'node_modules'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('DynamoDbStateStore shared by several OS processes (moto_server)', () => {
  const client = motoClient();
  const prefix = uniquePrefix('concurrency');
  let bundleDir: string;
  let script: string;
  let proxy: SerializingProxy;

  beforeAll(async () => {
    // moto_server's conditional writes are not atomic under concurrent requests (see the proxy):
    // the children reach it one request at a time, as DynamoDB's per-item atomicity would have it.
    proxy = await startSerializingProxy(motoEndpoint());
    // The children run the real adapter code, bundled (the AWS SDK stays a require of node_modules).
    bundleDir = mkdtempSync(join(tmpdir(), 'ohf-dynamodb-bundle-'));
    script = join(bundleDir, 'concurrent-writer.js');
    buildSync({
      entryPoints: [join(REPO, 'packages/storage-dynamodb/test/concurrent-writer.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['@aws-sdk/*', '@smithy/*'],
      outfile: script,
      tsconfig: join(REPO, 'tsconfig.base.json'),
      logLevel: 'error',
    });
  });

  afterAll(async () => {
    await proxy.close();
    rmSync(bundleDir, { recursive: true, force: true });
    await deleteTables(client, prefix);
    client.destroy();
  });

  it(`loses no update when ${WRITERS} processes read-modify-write the same records at once`, async () => {
    const providerName = 'shared';
    const sharedRequestIds = ['req-shared-a', 'req-shared-b'];
    const pairRequestId = 'req-shared-pair';
    const sharedMachineId = 'i-shared';
    const setup = new DynamoDbStateStore({ client, tablePrefix: prefix, providerName });
    await setup.write({
      requests: [...sharedRequestIds, pairRequestId].map((requestId) => anAcquireRequest({ requestId, createdAt: 0 })),
      machines: [aMachine({ machineId: sharedMachineId, requestId: pairRequestId, message: '0', createdAt: 0 })],
    });

    const startAt = Date.now() + 1500;
    const outcomes = await Promise.all(
      Array.from({ length: WRITERS }, (_, worker) =>
        runChild(script, {
          endpoint: proxy.endpoint,
          tablePrefix: prefix,
          providerName,
          worker,
          increments: INCREMENTS,
          sharedRequestIds,
          pairRequestId,
          sharedMachineId,
          startAt,
        }),
      ),
    );

    for (const outcome of outcomes) expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const reports = outcomes.map((outcome) => JSON.parse(outcome.stdout) as WriterReport);
    // They really ran at the same time, and really collided.
    expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.endedAt)));
    expect(reports.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
    expect(proxy.forwarded()).toBeGreaterThan(WRITERS * INCREMENTS * 4);

    for (const report of reports) {
      expect(report.ownRequestIds).toHaveLength(INCREMENTS);
      const own = await setup.getRequests(report.ownRequestIds);
      expect(own.map((r) => r.requestId)).toEqual(report.ownRequestIds);
      expect(own.every((r) => r.version === 1)).toBe(true);
      const machines = await setup.getMachines({ requestIds: report.ownRequestIds });
      expect(machines.map((m) => m.machineId).sort()).toEqual([...report.ownMachineIds].sort());
    }
    expect(await setup.listRequests({})).toHaveLength(3 + WRITERS * INCREMENTS);

    const total = WRITERS * INCREMENTS;
    const shared = await setup.getRequests(sharedRequestIds);
    expect(shared.map((r) => r.providerData['counter'])).toEqual([String(total), String(total)]);
    expect(shared.map((r) => r.version)).toEqual([total + 1, total + 1]);
    const [pair] = await setup.getRequests([pairRequestId]);
    const [machine] = await setup.getMachines({ machineIds: [sharedMachineId] });
    expect(pair).toMatchObject({ launchAttempts: total, providerData: { counter: String(total) }, version: total + 1 });
    expect(machine).toMatchObject({ message: String(total), version: total + 1 });
    await setup.close();
  }, 60_000);
});
