// Child process of dynamo-db-state-store.concurrency.int.spec.ts: one of several writers sharing
// the tables of one prefix on moto_server. Bundled with esbuild at test time and run with
// `node concurrent-writer.js '<json>'`.
import { isHostFactoryError } from '@open-hostfactory/core';
import { aMachine, anAcquireRequest } from '@open-hostfactory/core/testing';
import { createDynamoDbClient } from '../src/dynamo-db-client';
import { DynamoDbStateStore } from '../src/dynamo-db-state-store';

export interface WriterArgs {
  readonly endpoint: string;
  readonly tablePrefix: string;
  readonly providerName: string;
  readonly worker: number;
  readonly increments: number;
  readonly sharedRequestIds: readonly string[];
  /** A request and a machine updated together in one write. */
  readonly pairRequestId: string;
  readonly sharedMachineId: string;
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
  const client = createDynamoDbClient({
    region: 'us-east-1',
    endpoint: args.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const store = new DynamoDbStateStore({
    client,
    tablePrefix: args.tablePrefix,
    providerName: args.providerName,
    ownsClient: true,
  });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, args.startAt - Date.now())));
  const startedAt = Date.now();
  let conflicts = 0;
  const retryOnConflict = async (attempt: () => Promise<unknown>): Promise<void> => {
    for (let tries = 1; ; tries += 1) {
      try {
        await attempt();
        return;
      } catch (error) {
        if (!isHostFactoryError(error) || error.code !== 'CONFLICT' || tries >= 200) throw error;
        conflicts += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
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

    // A request and a machine updated together in one write (one transaction).
    await retryOnConflict(async () => {
      const [request] = await store.getRequests([args.pairRequestId]);
      const [machine] = await store.getMachines({ requestIds: [args.pairRequestId] });
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
