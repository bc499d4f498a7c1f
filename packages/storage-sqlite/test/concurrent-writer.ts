// Child process of sqlite-state-store.concurrency.int.spec.ts: one of several writers sharing one
// database file. Bundled with esbuild at test time and run with `node concurrent-writer.js '<json>'`.
import { isHostFactoryError } from '@open-hostfactory/core';
import { aMachine, anAcquireRequest } from '@open-hostfactory/core/testing';
import { SqliteStateStore } from '../src/sqlite-state-store';

export interface WriterArgs {
  readonly filePath: string;
  readonly worker: number;
  readonly increments: number;
  readonly sharedRequestIds: readonly string[];
  /** A request and a machine updated together in one write (skipped when absent). */
  readonly pairRequestId?: string;
  readonly sharedMachineId?: string;
  /** Epoch ms at which every writer starts, so that they run at the same time. */
  readonly startAt: number;
}

export interface WriterReport {
  readonly worker: number;
  readonly ownRequestIds: string[];
  readonly ownMachineIds: string[];
  readonly conflicts: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as WriterArgs;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, args.startAt - Date.now())));
  const startedAt = Date.now();
  const store = new SqliteStateStore({ filePath: args.filePath });
  let conflicts = 0;
  const retryOnConflict = async (attempt: () => Promise<unknown>): Promise<void> => {
    for (;;) {
      try {
        await attempt();
        return;
      } catch (error) {
        if (!isHostFactoryError(error) || error.code !== 'CONFLICT') throw error;
        conflicts += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };

  const ownRequestIds: string[] = [];
  const ownMachineIds: string[] = [];
  for (let i = 0; i < args.increments; i += 1) {
    // Records of its own, inserted once each.
    const requestId = `req-w${args.worker}-${String(i).padStart(4, '0')}`;
    const machineId = `i-w${args.worker}-${String(i).padStart(4, '0')}`;
    await store.write({
      requests: [anAcquireRequest({ requestId, createdAt: Date.now() })],
      machines: [aMachine({ machineId, requestId, name: machineId })],
    });
    ownRequestIds.push(requestId);
    ownMachineIds.push(machineId);

    // Read-modify-write of the shared requests, one at a time.
    for (const sharedId of args.sharedRequestIds) {
      await retryOnConflict(async () => {
        const [request] = await store.getRequests([sharedId]);
        if (request === undefined) throw new Error(`shared request ${sharedId} is missing`);
        const counter = Number(request.providerData['counter'] ?? '0') + 1;
        await store.write({ requests: [{ ...request, providerData: { ...request.providerData, counter: String(counter) } }] });
      });
    }

    // A request and a machine updated together in one write.
    const { pairRequestId, sharedMachineId } = args;
    if (pairRequestId === undefined || sharedMachineId === undefined) continue;
    await retryOnConflict(async () => {
      const [request] = await store.getRequests([pairRequestId]);
      const [machine] = await store.getMachines({ machineIds: [sharedMachineId] });
      if (request === undefined || machine === undefined) throw new Error('shared pair is missing');
      const counter = Number(request.providerData['counter'] ?? '0') + 1;
      await store.write({
        requests: [{ ...request, launchAttempts: request.launchAttempts + 1, providerData: { counter: String(counter) } }],
        machines: [{ ...machine, message: String(Number(machine.message || '0') + 1) }],
      });
    });
  }
  await store.close();
  const report: WriterReport = { worker: args.worker, ownRequestIds, ownMachineIds, conflicts, startedAt, endedAt: Date.now() };
  process.stdout.write(JSON.stringify(report));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
