import { isEndedState, type Machine } from '../domain/machine/machine';
import { deriveReturnStatus } from '../domain/request/request';
import { observationContext } from './acquire-status';
import { applyCloudView, releaseOrWarn, type CloudView } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { closeFinishedRequests } from './request-closing';
import type { UseCaseContext } from './use-case-context';

/**
 * Brings one running return request in line with the cloud: machines seen terminated (or gone)
 * are done; terminations that did not take are issued again. It completes once every machine is
 * done, closing the acquire requests that are then finished. A return whose machines are still
 * alive after the return timeout (AWS_RETURN_TIMEOUT_SEC) ends `complete_with_error` naming them;
 * the orphan sweep keeps giving them back.
 */
export class ReturnReconciler {
  constructor(private readonly deps: UseCaseContext) {}

  async reconcile(requestId: string, view: CloudView): Promise<void> {
    const { store, providers, clock, settings, logger } = this.deps;
    const toRelease: Machine[] = [];
    let finished: readonly Machine[] = [];
    await retryOnConflict(async () => {
      toRelease.length = 0;
      finished = [];
      const [request] = await store.getRequests([requestId]);
      if (!request || request.status !== 'running') return;
      const stored = await store.getMachines({ returnRequestIds: [requestId] });
      const now = clock.now();
      const { all, changed } = applyCloudView(stored, view, observationContext(settings, now));
      const alive = all.filter((m) => !m.gone && !isEndedState(m.status));
      let progress = deriveReturnStatus(all);
      if (progress.status === 'running' && now - request.createdAt >= settings.returnTimeoutSec * 1000) {
        const lingering = all.filter((m) => !m.gone && m.status !== 'terminated');
        progress = {
          status: 'complete_with_error',
          message:
            `${lingering.length} of ${all.length} machines still alive after ${settings.returnTimeoutSec} s ` +
            `(AWS_RETURN_TIMEOUT_SEC): ${lingering.map((m) => m.machineId).join(', ')}; the orphan sweep keeps giving them back`,
        };
        logger.warn('return did not take', { requestId, machineIds: lingering.map((m) => m.machineId) });
      }
      toRelease.push(...alive); // the earlier terminate did not take
      if (progress.status === request.status && progress.message === request.message && changed.length === 0) return;
      await store.write({
        requests: [
          {
            ...request,
            status: progress.status,
            message: progress.message,
            ...(progress.status === 'complete' ? { closedAt: now } : {}),
            updatedAt: now,
          },
        ],
        machines: changed,
      });
      if (progress.status !== 'running') finished = all;
    });
    await releaseOrWarn(store, providers, logger, toRelease, 'return not yet taken by the cloud');
    if (finished.length > 0)
      await closeFinishedRequests(
        store,
        finished.map((m) => m.requestId),
        clock.now(),
      );
  }
}
