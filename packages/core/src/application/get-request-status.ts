import {
  isEndedState,
  newMachine,
  returnResult,
  type Machine,
  type MachineObservation,
  type ObservationContext,
} from '../domain/machine/machine';
import {
  deriveAcquireStatus,
  deriveReturnStatus,
  maySeekCapacity,
  shortfall,
  type AcquirePolicy,
  type Request,
} from '../domain/request/request';
import type { ProviderApi, Template } from '../domain/template/template';
import { isHostFactoryError, toHostFactoryError, type ErrorCode, type HostFactoryError } from '../errors';
import type { CapacityProviders, Fulfilment } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';
import { acceptTemplatesAsConfigured, type TemplateValidator } from '../ports/template-validator';
import { applyCloudView, releaseByApi, type CloudView } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { machineOwner } from './machine-owner';
import type { MachineReport, RequestReport } from './results';

/** Launch errors after which trying again cannot help. */
const PERMANENT_LAUNCH_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TEMPLATE_INVALID',
  'TEMPLATE_NOT_FOUND',
  'AUTH_ERROR',
  'CONFIG_INVALID',
  'NOT_FOUND',
]);

/**
 * getRequestStatus: reports every asked request in input order. Running requests are refreshed
 * from the cloud first (one batched describe per provider API for the whole poll); acquire
 * requests that lack machines are topped up (a new launch attempt, claimed with a versioned write
 * so that two concurrent polls never launch twice); machines that failed while still alive are
 * terminated so nothing leaks; return requests re-issue terminations that did not take.
 * A cloud failure leaves the stored state as it was and reports the request running with the
 * reason. Unknown ids are answered `complete_with_error` without failing the call.
 */
export class GetRequestStatus {
  constructor(
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly templates: TemplateSource,
    private readonly clock: Clock,
    private readonly settings: ProviderSettings,
    private readonly logger: Logger,
    private readonly validator: TemplateValidator = acceptTemplatesAsConfigured,
  ) {}

  async execute(input: { readonly requestIds: readonly string[] }): Promise<RequestReport[]> {
    const ids = [...new Set(input.requestIds)];
    const requests = await this.store.getRequests(ids);
    const running = requests.filter((r) => r.status === 'running');
    const templates = new Map((await this.templates.list()).map((t) => [t.templateId, t]));
    const cloudMessages = new Map<string, string>();
    if (running.length > 0) await this.refresh(running, templates, cloudMessages);

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
      return this.report(request, machines, templates, cloudMessages.get(id));
    });
  }

  private report(
    request: Request,
    machines: readonly Machine[],
    templates: ReadonlyMap<string, Template>,
    cloudMessage: string | undefined,
  ): RequestReport {
    let reports: MachineReport[];
    if (request.kind === 'acquire') {
      reports = machines
        .filter((m) => m.requestId === request.requestId)
        .map((m) => ({ machine: m, result: m.result, message: m.message }));
    } else {
      reports = machines
        .filter((m) => m.returnRequestId === request.requestId)
        .map((m) => ({ machine: m, result: returnResult(m), message: '' }));
    }
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

  private async refresh(
    running: readonly Request[],
    templates: ReadonlyMap<string, Template>,
    cloudMessages: Map<string, string>,
  ): Promise<void> {
    const acquires = running.filter((r) => r.kind === 'acquire');
    const returns = running.filter((r) => r.kind === 'return');
    const machines = await this.store.getMachines({
      requestIds: acquires.map((r) => r.requestId),
      returnRequestIds: returns.map((r) => r.requestId),
    });

    // One describe per provider API for everything this poll needs to see.
    const work = new Map<ProviderApi, { requests: Request[]; machines: Machine[]; owners: string[] }>();
    const slot = (api: ProviderApi): { requests: Request[]; machines: Machine[]; owners: string[] } => {
      let entry = work.get(api);
      if (!entry) work.set(api, (entry = { requests: [], machines: [], owners: [] }));
      return entry;
    };
    for (const request of acquires) {
      const entry = slot(request.providerApi ?? 'RunInstances');
      entry.requests.push(request);
      entry.owners.push(request.requestId);
      entry.machines.push(...machines.filter((m) => m.requestId === request.requestId));
    }
    for (const request of returns) {
      for (const machine of machines.filter((m) => m.returnRequestId === request.requestId)) {
        const entry = slot(machine.providerApi);
        entry.machines.push(machine);
        entry.owners.push(request.requestId);
      }
    }

    const view = {
      observations: new Map<string, MachineObservation>(),
      missing: new Set<string>(),
      fulfilment: new Map<string, Fulfilment>(),
    };
    const blind = new Set<string>();
    for (const [api, entry] of work) {
      try {
        const result = await this.providers.forApi(api).describe({ requests: entry.requests, machines: uniqueMachines(entry.machines) });
        for (const o of result.observations) view.observations.set(o.machineId, o);
        for (const id of result.missing) view.missing.add(id);
        for (const [id, fulfilment] of result.fulfilment ?? []) view.fulfilment.set(id, fulfilment);
      } catch (error) {
        const failure = toHostFactoryError(error, 'PROVIDER_ERROR');
        this.logger.warn('describe failed; reporting stored state', { api, code: failure.code, error: failure.message });
        for (const owner of entry.owners) {
          blind.add(owner);
          cloudMessages.set(owner, `Cloud status unavailable (${failure.code}): ${failure.message}`);
        }
      }
    }

    for (const request of acquires) {
      if (blind.has(request.requestId)) continue;
      await this.refreshAcquire(request.requestId, view, templates, cloudMessages);
    }
    for (const request of returns) {
      if (blind.has(request.requestId)) continue;
      await this.refreshReturn(request.requestId, view);
    }
  }

  private context(): ObservationContext {
    return { now: this.clock.now(), pendingTimeoutSec: this.settings.pendingTimeoutSec };
  }

  private policy(): AcquirePolicy {
    return {
      now: this.clock.now(),
      maxFailedAttempts: this.settings.maxFailedLaunchAttempts,
      capacityTimeoutMs: this.settings.capacityTimeoutSec * 1000,
    };
  }

  private async refreshAcquire(
    requestId: string,
    view: CloudView,
    templates: ReadonlyMap<string, Template>,
    cloudMessages: Map<string, string>,
  ): Promise<void> {
    const toRelease: Machine[] = [];
    const state = await retryOnConflict(async () => {
      toRelease.length = 0;
      const [request] = await this.store.getRequests([requestId]);
      if (!request || request.status !== 'running') return undefined;
      const template = request.templateId ? templates.get(request.templateId) : undefined;
      const stored = await this.store.getMachines({ requestIds: [requestId] });
      const context = this.context();
      const { all, changed, observed } = applyCloudView(stored, view, context);
      // Failed but still there: give it back, or it would run unseen.
      toRelease.push(
        ...all.filter(
          (m) => observed.has(m.machineId) && m.result === 'fail' && m.status !== 'terminated' && m.status !== 'shutting-down',
        ),
      );
      const known = new Set(stored.map((m) => m.machineId));
      for (const observation of view.observations.values()) {
        if (observation.requestId !== requestId || known.has(observation.machineId)) continue;
        // Launched for this request but never recorded (e.g. a crash after the launch call).
        const adopted = newMachine(observation, machineOwner(request, template), context);
        changed.push(adopted);
        all.push(adopted);
      }
      let next = request;
      const reason = view.fulfilment?.get(requestId)?.reason;
      if (reason && reason !== request.message) next = { ...next, message: reason };
      if (!template && maySeekCapacity(request, this.policy())) {
        next = {
          ...request,
          failedAttempts: this.settings.maxFailedLaunchAttempts,
          message: `Template '${request.templateId}' is no longer configured`,
        };
      }
      next = this.withStatus(next, all);
      if (next === request && changed.length === 0) return { request, machines: all, settled: false };
      const written = await this.store.write({ requests: [{ ...next, updatedAt: context.now }], machines: changed });
      return { request: written.requests[0] as Request, machines: all, settled: next.status === 'complete_with_error' };
    });
    await this.release(toRelease, 'failed before it was ready');
    if (!state) return;
    if (state.settled) await this.abandon(state.request, state.machines);
    if (state.request.status !== 'running') return;
    const template = state.request.templateId ? templates.get(state.request.templateId) : undefined;
    const missingCount = shortfall(state.request, state.machines);
    const fulfilling = view.fulfilment?.get(requestId)?.state === 'fulfilling';
    if (template && !fulfilling && missingCount > 0 && maySeekCapacity(state.request, this.policy())) {
      await this.topUp(state.request, template, missingCount, cloudMessages);
    }
  }

  /**
   * The request ended with less than asked: the provider stops the cloud from launching more for
   * it, and the orphan check (see GetReturnRequests) catches anything launched regardless.
   */
  private async abandon(request: Request, machines: readonly Machine[]): Promise<void> {
    try {
      await this.providers.forApi(request.providerApi ?? 'RunInstances').abandon?.(request, machines);
    } catch (error) {
      this.logger.warn('could not stop the cloud filling an ended request', {
        requestId: request.requestId,
        error: toHostFactoryError(error).message,
      });
    }
  }

  /**
   * The request with its status derived from its machines (same object when nothing changes).
   * Ending with less than asked starts the orphan check: anything the cloud still launches for
   * the request is found and terminated by getReturnRequests.
   */
  private withStatus(request: Request, machines: readonly Machine[]): Request {
    const policy = this.policy();
    const seeking = maySeekCapacity(request, policy);
    const progress = deriveAcquireStatus(request, machines, seeking, request.message || undefined);
    if (progress.status === request.status && (progress.status === 'running' || progress.message === request.message)) {
      return request;
    }
    const orphanCheck =
      progress.status === 'complete_with_error' ? { orphanCheckUntil: policy.now + this.settings.capacityTimeoutSec * 1000 } : {};
    return { ...request, status: progress.status, message: progress.message, ...orphanCheck };
  }

  /** One more launch attempt for what the request lacks, claimed so no other poll makes it too. */
  private async topUp(request: Request, template: Template, count: number, cloudMessages: Map<string, string>): Promise<void> {
    let claimed: Request;
    try {
      const written = await this.store.write({
        requests: [{ ...request, launchAttempts: request.launchAttempts + 1, updatedAt: this.clock.now() }],
      });
      claimed = written.requests[0] as Request;
    } catch (error) {
      if (isHostFactoryError(error) && error.code === 'CONFLICT') return; // another poll is on it
      throw error;
    }
    const attempt = claimed.launchAttempts;
    let observations: readonly MachineObservation[] = [];
    let reason: string | undefined;
    let failure: HostFactoryError | undefined;
    let providerData: Readonly<Record<string, string>> = {};
    try {
      const ready = await this.validator.prepare(template);
      const result = await this.providers.forApi(template.providerApi).acquire({
        request: claimed,
        template: ready,
        count,
        attempt,
        deadline: claimed.createdAt + this.settings.capacityTimeoutSec * 1000,
      });
      observations = result.machines;
      reason = result.shortfallReason;
      providerData = result.providerData ?? {};
    } catch (error) {
      failure = toHostFactoryError(error, 'PROVIDER_ERROR');
      reason = `${failure.code}: ${failure.message}`;
      this.logger.warn('top-up launch failed', { requestId: request.requestId, attempt, code: failure.code, error: failure.message });
      if (failure.transient) cloudMessages.set(request.requestId, `Launch attempt ${attempt} failed: ${failure.message}`);
    }
    this.logger.info('top-up launch', {
      requestId: request.requestId,
      attempt,
      asked: count,
      launched: observations.map((o) => o.machineId),
    });

    let settled: { request: Request; machines: Machine[] } | undefined;
    await retryOnConflict(async () => {
      settled = undefined;
      const [fresh] = await this.store.getRequests([request.requestId]);
      if (!fresh) return;
      const stored = await this.store.getMachines({ requestIds: [request.requestId] });
      const known = new Set(stored.map((m) => m.machineId));
      const context = this.context();
      const added = observations
        .filter((o) => !known.has(o.machineId))
        .map((o) => newMachine(o, machineOwner(fresh, template), context));
      let failedAttempts = fresh.failedAttempts;
      if (observations.length > 0) failedAttempts = 0;
      else if (failure && PERMANENT_LAUNCH_ERRORS.has(failure.code)) failedAttempts = this.settings.maxFailedLaunchAttempts;
      else if (failure ? !failure.transient : reason !== undefined) failedAttempts += 1;
      // No machine, no error and no reason: capacity that a fleet or group fills later (its
      // fulfilment then tells); the capacity timeout bounds how long that is waited for.
      const all = [...stored, ...added];
      const message = shortfall(fresh, all) > 0 && reason ? reason : '';
      let next: Request = {
        ...fresh,
        failedAttempts,
        message,
        providerData: { ...fresh.providerData, ...providerData },
        updatedAt: context.now,
      };
      if (fresh.status === 'running') next = this.withStatus(next, all);
      await this.store.write({ requests: [next], machines: added });
      if (fresh.status === 'running' && next.status === 'complete_with_error') settled = { request: next, machines: all };
    });
    if (settled) await this.abandon(settled.request, settled.machines);
  }

  private async refreshReturn(requestId: string, view: CloudView): Promise<void> {
    const toRelease: Machine[] = [];
    await retryOnConflict(async () => {
      toRelease.length = 0;
      const [request] = await this.store.getRequests([requestId]);
      if (!request || request.status !== 'running') return;
      const stored = await this.store.getMachines({ returnRequestIds: [requestId] });
      const context = this.context();
      const { all, changed } = applyCloudView(stored, view, context);
      toRelease.push(...all.filter((m) => !m.gone && !isEndedState(m.status))); // the earlier terminate did not take
      const progress = deriveReturnStatus(all);
      if (progress.status === request.status && progress.message === request.message && changed.length === 0) return;
      await this.store.write({
        requests: [{ ...request, status: progress.status, message: progress.message, updatedAt: context.now }],
        machines: changed,
      });
    });
    await this.release(toRelease, 'return not yet taken by the cloud');
  }

  /** Best-effort termination, grouped by API; failures are logged and retried on the next poll. */
  private async release(machines: readonly Machine[], why: string): Promise<void> {
    await releaseByApi(this.store, this.providers, machines, (api, group, error) =>
      this.logger.warn('terminate failed; will retry', {
        api,
        reason: why,
        machineIds: group.map((m) => m.machineId),
        error: toHostFactoryError(error).message,
      }),
    );
    if (machines.length > 0) this.logger.info('terminating machines', { reason: why, machineIds: machines.map((m) => m.machineId) });
  }
}

function uniqueMachines(machines: readonly Machine[]): Machine[] {
  return [...new Map(machines.map((m) => [m.machineId, m])).values()];
}
