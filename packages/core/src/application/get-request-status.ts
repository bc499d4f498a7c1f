import { returnResult, type Machine } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { Template } from '../domain/template/template';
import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { unknownProcess, type ProcessIdentity } from '../ports/process-identity';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';
import { acceptTemplatesAsConfigured, type TemplateValidator } from '../ports/template-validator';
import { AcquireReconciler } from './acquire-reconciler';
import { lookAtCloud } from './cloud-look';
import { CLOUD_CONCURRENCY, mapLimit } from './map-limit';
import { retryOnConflict } from './conflict-retry';
import { OrphanSweep } from './orphan-sweep';
import type { MachineReport, RequestReport } from './results';
import { ReturnReconciler } from './return-reconciler';
import { TopUp } from './top-up';

/**
 * getRequestStatus: reports every asked request in input order. A short coordinator:
 *
 * 1. notes HF's first poll of each request (a request never polled is an orphan, see OrphanSweep);
 * 2. looks at the cloud once per provider API for every running request (`lookAtCloud`);
 * 3. reconciles each acquire request with what it saw (`AcquireReconciler`) and tops up what is
 *    missing (`TopUp`: one launch per attempt whatever polls overlap);
 * 4. reconciles each return request (`ReturnReconciler`);
 * 5. lets the orphan sweep run when its interval is due (`OrphanSweep`);
 * 6. answers from the store.
 *
 * A cloud failure leaves the stored state as it was and reports the request running with the
 * reason. Unknown ids are answered `complete_with_error` without failing the call.
 */
export class GetRequestStatus {
  private readonly acquires: AcquireReconciler;
  private readonly topUps: TopUp;
  private readonly returns: ReturnReconciler;
  private readonly sweep: OrphanSweep;

  constructor(
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly templates: TemplateSource,
    private readonly clock: Clock,
    settings: ProviderSettings,
    private readonly logger: Logger,
    validator: TemplateValidator = acceptTemplatesAsConfigured,
    identity: ProcessIdentity = unknownProcess,
  ) {
    const deps = { store, providers, templates, clock, settings, logger, identity };
    this.acquires = new AcquireReconciler(deps);
    this.topUps = new TopUp(deps, validator);
    this.returns = new ReturnReconciler(deps);
    this.sweep = new OrphanSweep(deps);
  }

  /** The asked requests, brought up to date with the cloud (launching what is missing, ending what is done). */
  async execute(input: { readonly requestIds: readonly string[] }): Promise<RequestReport[]> {
    const ids = [...new Set(input.requestIds)];
    const requests = await this.store.getRequests(ids);
    await this.noteFirstPolls(requests);
    const running = requests.filter((r) => r.status === 'running');
    const templates = new Map((await this.templates.list()).map((t) => [t.templateId, t]));
    const messages = new Map<string, string>();
    if (running.length > 0) {
      await this.refresh(running, templates, messages);
      await this.sweep.maybeRun();
    }

    const current = new Map((await this.store.getRequests(ids)).map((r) => [r.requestId, r]));
    const machines = await this.store.getMachines({
      requestIds: [...current.values()].filter((r) => r.kind === 'acquire').map((r) => r.requestId),
      returnRequestIds: [...current.values()].filter((r) => r.kind === 'return').map((r) => r.requestId),
    });
    return input.requestIds.map((id) => {
      const request = current.get(id);
      if (!request) {
        return { requestId: id, found: false, status: 'complete_with_error', message: `Request ${id} not found`, machines: [] };
      }
      return report(request, machines, templates, messages.get(id));
    });
  }

  /** Records when HF first asked for each acquire request, so that it is never taken for an orphan. */
  private async noteFirstPolls(requests: readonly Request[]): Promise<void> {
    for (const request of requests) {
      if (request.kind !== 'acquire' || request.firstPolledAt !== undefined) continue;
      await retryOnConflict(async () => {
        const [fresh] = await this.store.getRequests([request.requestId]);
        if (!fresh || fresh.firstPolledAt !== undefined) return;
        const now = this.clock.now();
        await this.store.write({ requests: [{ ...fresh, firstPolledAt: now, updatedAt: now }] });
      });
    }
  }

  private async refresh(running: readonly Request[], templates: ReadonlyMap<string, Template>, messages: Map<string, string>): Promise<void> {
    const acquires = running.filter((r) => r.kind === 'acquire');
    const returns = running.filter((r) => r.kind === 'return');
    const look = await lookAtCloud(this.store, this.providers, this.logger, acquires, returns);
    for (const [id, message] of look.messages) messages.set(id, message);
    // Requests are independent of each other: reconciled (and topped up) a few at a time, so
    // one slow launch does not hold up the others.
    await mapLimit(
      acquires.filter((r) => !look.blind.has(r.requestId)),
      CLOUD_CONCURRENCY,
      async (request) => {
        const state = await this.acquires.reconcile(request.requestId, look.view, templates);
        const template = state?.request.templateId ? templates.get(state.request.templateId) : undefined;
        if (!state || !template) return;
        const fulfilling = look.view.fulfilment?.get(request.requestId)?.state === 'fulfilling';
        const message = await this.topUps.run(state.request, state.machines, template, fulfilling);
        if (message) messages.set(request.requestId, message);
      },
    );
    await mapLimit(
      returns.filter((r) => !look.blind.has(r.requestId)),
      CLOUD_CONCURRENCY,
      (request) => this.returns.reconcile(request.requestId, look.view),
    );
  }
}

function report(
  request: Request,
  machines: readonly Machine[],
  templates: ReadonlyMap<string, Template>,
  cloudMessage: string | undefined,
): RequestReport {
  const reports: MachineReport[] =
    request.kind === 'acquire'
      ? machines.filter((m) => m.requestId === request.requestId).map((m) => ({ machine: m, result: m.result, message: m.message }))
      : machines.filter((m) => m.returnRequestId === request.requestId).map((m) => ({ machine: m, result: returnResult(m), message: '' }));
  const message = cloudMessage ? [cloudMessage, request.message].filter(Boolean).join('; ') : request.message;
  return {
    requestId: request.requestId,
    kind: request.kind,
    found: true,
    status: request.status,
    message,
    machines: reports,
    template: request.templateId ? templates.get(request.templateId) : undefined,
  };
}
