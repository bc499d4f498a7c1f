import { rmSync } from 'node:fs';
import { aMachine, anAcquireRequest } from '@open-hostfactory/core/testing';
import { DynamoDbStateStore } from './dynamo-db-state-store';
import { deleteTables, motoClient, motoEndpoint, uniquePrefix } from '../test/moto';
import { startSerializingProxy, type SerializingProxy } from '../../../tools/moto/serializing-proxy';
import type { ConcurrentWriterReport as WriterReport } from '@open-hostfactory/core/testing';
import type { WriterArgs } from '../test/concurrent-writer';
import { bundleWriter, runWriter } from '../../../tools/testing/writer-processes';

const WRITERS = 6;
const INCREMENTS = 10;

const runChild = (script: string, args: WriterArgs) => runWriter(script, args);

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
    ({ dir: bundleDir, script } = bundleWriter('packages/storage-dynamodb/test/concurrent-writer.ts', ['@aws-sdk/*', '@smithy/*']));
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
