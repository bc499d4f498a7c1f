import { newMachine, type Machine } from '../domain/machine/machine';
import { maySeekCapacity, type Request } from '../domain/request/request';
import type { Template } from '../domain/template/template';
import { acquirePolicy, observationContext, withStatus } from './acquire-status';
import { BootstrapGuard } from './bootstrap-guard';
import { abandonOrWarn, applyCloudView, releaseOrWarn, type CloudView } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { machineOwner } from './machine-owner';
import type { UseCaseContext } from './use-case-context';

/** An acquire request after a poll reconciled it with the cloud. */
export interface ReconciledAcquire {
  readonly request: Request;
  /** Every machine of the request, as stored now. */
  readonly machines: readonly Machine[];
}

/**
 * Brings one running acquire request in line with what the cloud shows: machines observed are
 * updated (a machine pending too long or ended before it was ready fails), instances carrying
 * the request's tag that the store missed are adopted, the status is derived, and machines that
 * failed while still alive are given back. A request that ends short is abandoned (the cloud
 * stops filling it). Returns undefined when the request is not running.
 */
export class AcquireReconciler {
  private readonly bootstrap: BootstrapGuard;

  constructor(private readonly deps: UseCaseContext) {
    this.bootstrap = new BootstrapGuard(deps.store, deps.clock, deps.settings, deps.logger);
  }

  async reconcile(requestId: string, view: CloudView, templates: ReadonlyMap<string, Template>): Promise<ReconciledAcquire | undefined> {
    const toRelease: Machine[] = [];
    let ended = false;
    // The machines as they were before this poll's write, for the bootstrap outcomes it settled.
    let settledBefore: { templateId: string; machines: readonly Machine[] } | undefined;
    const state = await retryOnConflict(async (): Promise<ReconciledAcquire | undefined> => {
      toRelease.length = 0;
      ended = false;
      const [request] = await this.deps.store.getRequests([requestId]);
      if (!request || request.status !== 'running') return undefined;
      const template = request.templateId ? templates.get(request.templateId) : undefined;
      const stored = await this.deps.store.getMachines({ requestIds: [requestId] });
      settledBefore = request.templateId ? { templateId: request.templateId, machines: stored } : undefined;
      const now = this.deps.clock.now();
      const context = observationContext(this.deps.settings, now);
      const { all, changed, observed } = applyCloudView(stored, view, context);
      // Failed but still there: give it back, or it would run unseen.
      toRelease.push(
        ...all.filter((m) => observed.has(m.machineId) && m.result === 'fail' && m.status !== 'terminated' && m.status !== 'shutting-down'),
      );
      const known = new Set(stored.map((m) => m.machineId));
      for (const observation of view.observations.values()) {
        if (observation.requestId !== requestId || known.has(observation.machineId)) continue;
        // Launched for this request but never recorded (e.g. a crash after the launch call).
        const adopted = newMachine(observation, machineOwner(request, template), context);
        changed.push(adopted);
        all.push(adopted);
      }
      const policy = acquirePolicy(this.deps.settings, now);
      let next = request;
      const reason = view.fulfilment?.get(requestId)?.reason;
      if (reason && reason !== request.message) next = { ...next, message: reason };
      if (!template && maySeekCapacity(request, policy)) {
        next = {
          ...next,
          failedAttempts: this.deps.settings.maxFailedLaunchAttempts,
          message: `Template '${request.templateId}' is no longer configured`,
        };
      }
      next = withStatus(next, all, policy, this.deps.identity);
      if (next === request && changed.length === 0) return { request, machines: all };
      const written = await this.deps.store.write({ requests: [{ ...next, updatedAt: now }], machines: changed });
      ended = next.status !== 'running';
      return { request: written.requests[0] as Request, machines: all };
    });
    if (settledBefore && state) await this.bootstrap.record(settledBefore.templateId, settledBefore.machines, state.machines);
    await releaseOrWarn(this.deps.store, this.deps.providers, this.deps.logger, toRelease, 'failed before it was ready');
    if (state && ended && state.request.status === 'complete_with_error') {
      await abandonOrWarn(this.deps.providers, this.deps.logger, state.request, state.machines);
    }
    return state;
  }
}
