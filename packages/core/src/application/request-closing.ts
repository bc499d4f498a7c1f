import { isMachineFinished } from '../domain/machine/machine';
import type { StateStore } from '../ports/state-store';
import { retryOnConflict } from './conflict-retry';

/**
 * Closes the acquire requests among `requestIds` that have ended and whose every machine is
 * finished (returned and terminated, failed and terminated, or gone): from then on they hold
 * nothing alive and may expire. A lost race is tried again; store failures are thrown.
 */
export async function closeFinishedRequests(store: StateStore, requestIds: readonly string[], now: number): Promise<void> {
  const ids = [...new Set(requestIds)].filter((id) => id !== '');
  if (ids.length === 0) return;
  const candidates = (await store.getRequests(ids)).filter((r) => r.kind === 'acquire' && r.status !== 'running' && r.closedAt === undefined);
  if (candidates.length === 0) return;
  const machines = await store.getMachines({ requestIds: candidates.map((r) => r.requestId) });
  for (const request of candidates) {
    if (!machines.filter((m) => m.requestId === request.requestId).every(isMachineFinished)) continue;
    await retryOnConflict(async () => {
      const [fresh] = await store.getRequests([request.requestId]);
      if (!fresh || fresh.status === 'running' || fresh.closedAt !== undefined) return;
      const own = await store.getMachines({ requestIds: [fresh.requestId] });
      if (!own.every(isMachineFinished)) return;
      await store.write({ requests: [{ ...fresh, closedAt: now, updatedAt: now }] });
    });
  }
}
