import { isHostFactoryError } from '../errors';
import type { StateStore } from '../ports/state-store';
import { aMachine, anAcquireRequest } from './builders';

/**
 * One of several OS processes writing to one store at the same time, for a store's concurrency
 * proof: each pass inserts a request and a machine of its own, increments a counter kept in
 * `providerData` of every shared request (read-modify-write, retried on CONFLICT), and updates a
 * shared request and machine together in one write. With W writers of N passes, a store that
 * loses no update ends with every own record present and every counter at exactly W x N.
 */
export interface ConcurrentWriterArgs {
  readonly worker: number;
  readonly increments: number;
  /** Requests (created beforehand) whose `providerData.counter` every pass increments. */
  readonly sharedRequestIds: readonly string[];
  /** A request and one of its machines (created beforehand) updated together in one write (skipped when absent). */
  readonly pairRequestId?: string;
  readonly sharedMachineId?: string;
  /** Epoch ms at which every writer starts, so that they run at the same time. */
  readonly startAt: number;
}

/** What one concurrent writer process did: its records, the version conflicts it met, when it ran. */
export interface ConcurrentWriterReport {
  readonly worker: number;
  readonly ownRequestIds: string[];
  readonly ownMachineIds: string[];
  readonly conflicts: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Runs one writer's passes against `store` (closed at the end). */
export async function runConcurrentWriter(store: StateStore, args: ConcurrentWriterArgs): Promise<ConcurrentWriterReport> {
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
    const requestId = `req-w${args.worker}-${String(i).padStart(4, '0')}`;
    const machineId = `i-w${args.worker}-${String(i).padStart(4, '0')}`;
    await store.write({
      requests: [anAcquireRequest({ requestId, createdAt: Date.now() })],
      machines: [aMachine({ machineId, requestId, name: machineId })],
    });
    ownRequestIds.push(requestId);
    ownMachineIds.push(machineId);

    for (const sharedId of args.sharedRequestIds) {
      await retryOnConflict(async () => {
        const [request] = await store.getRequests([sharedId]);
        if (request === undefined) throw new Error(`shared request ${sharedId} is missing`);
        const counter = Number(request.providerData['counter'] ?? '0') + 1;
        await store.write({ requests: [{ ...request, providerData: { ...request.providerData, counter: String(counter) } }] });
      });
    }

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
  return { worker: args.worker, ownRequestIds, ownMachineIds, conflicts, startedAt, endedAt: Date.now() };
}

/** The child process's main: `args` from argv[2] (JSON), the report on stdout, errors on stderr. */
export function concurrentWriterMain(makeStore: (args: Record<string, unknown>) => StateStore): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as ConcurrentWriterArgs & Record<string, unknown>;
  runConcurrentWriter(makeStore(args), args).then(
    (report) => process.stdout.write(JSON.stringify(report)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
