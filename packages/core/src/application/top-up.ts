import { newMachine, type Machine, type MachineObservation } from '../domain/machine/machine';
import { maySeekCapacity, shortfall, type Request } from '../domain/request/request';
import { templateForRequest } from '../domain/template/request-template';
import type { Template } from '../domain/template/template';
import { isHostFactoryError, toHostFactoryError, type ErrorCode, type HostFactoryError } from '../errors';
import type { AcquireResult } from '../ports/capacity-provider';
import { acceptTemplatesAsConfigured, type TemplateValidator } from '../ports/template-validator';
import { acquirePolicy, launchInFlight, observationContext, withStatus } from './acquire-status';
import { abandonOrWarn, releaseOrWarn } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { machineOwner } from './machine-owner';
import { roomFor } from './template-usage';
import type { UseCaseContext } from './use-case-context';

/** Launch errors after which trying again cannot help. */
const PERMANENT_LAUNCH_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TEMPLATE_INVALID',
  'TEMPLATE_NOT_FOUND',
  'AUTH_ERROR',
  'CONFIG_INVALID',
  'NOT_FOUND',
]);

/** What one launch attempt brought. */
export interface LaunchOutcome {
  readonly observations: readonly MachineObservation[];
  readonly providerData: Readonly<Record<string, string>>;
  readonly reason?: string;
  readonly failure?: HostFactoryError;
}

/**
 * Launch attempts after the first, one at a time per request whatever polls overlap: an attempt
 * is claimed in the store with a lease (a versioned write) before its cloud call, so a poll that
 * sees an attempt in flight launches nothing for that request until the lease ends. An attempt
 * whose caller died without recording its outcome is replayed (same attempt, count and token,
 * after the provider looked for what it made). Every new attempt re-checks the template's
 * maxNumber and asks only for what fits.
 */
export class TopUp {
  constructor(
    private readonly deps: UseCaseContext,
    private readonly validator: TemplateValidator = acceptTemplatesAsConfigured,
  ) {}

  /**
   * Makes (or replays) one attempt for `request` when it lacks capacity and nothing is in flight.
   * `fulfilling`: the cloud is still filling it by itself. Returns a message for HF when a
   * passing failure should show in this poll's answer.
   */
  async run(request: Request, machines: readonly Machine[], template: Template, fulfilling: boolean): Promise<string | undefined> {
    if (request.status !== 'running' || fulfilling) return undefined;
    const now = this.deps.clock.now();
    if (launchInFlight(request, now, this.deps.identity)) return undefined;
    const lease = request.launchLease;
    const missing = shortfall(request, machines);
    const seeking = maySeekCapacity(request, acquirePolicy(this.deps.settings, now));
    let attempt: number;
    let count: number;
    if (lease !== undefined) {
      // The attempt's caller died (or overran its lease) before recording the outcome. What it
      // made carries the request's tag and was adopted by this poll; replay only what is missing.
      if (missing <= 0 || !seeking) {
        await this.clearLease(request);
        return undefined;
      }
      attempt = request.launchAttempts;
      count = lease.count;
    } else {
      if (missing <= 0 || !seeking) return undefined;
      attempt = request.launchAttempts + 1;
      count = await this.fitting(request, template, missing);
      if (count <= 0) return undefined;
    }
    const claimed = await this.claim(request, attempt, count, now);
    if (!claimed) return undefined;
    const outcome = await this.launch(claimed, template, count, attempt, lease !== undefined);
    await this.record(claimed, template, outcome);
    return outcome.failure?.transient ? `Launch attempt ${attempt} failed: ${outcome.failure.message}` : undefined;
  }

  /** Units the attempt may ask for: what the request lacks, within the template's maxNumber. */
  private async fitting(request: Request, template: Template, missing: number): Promise<number> {
    if (template.maxNumber < 0) return missing;
    const [load] = await this.deps.store.loadOf([template.templateId]);
    const room = load ? roomFor(template, request, load) : missing;
    if (room < missing) {
      this.deps.logger.warn('top-up held back by maxNumber', {
        requestId: request.requestId,
        templateId: template.templateId,
        missing,
        room,
        maxNumber: template.maxNumber,
      });
    }
    return Math.min(missing, room);
  }

  /** Claims the attempt with a lease; undefined when another call got there first. */
  private async claim(request: Request, attempt: number, count: number, now: number): Promise<Request | undefined> {
    try {
      const written = await this.deps.store.write({
        requests: [
          {
            ...request,
            launchAttempts: attempt,
            launchLease: { until: now + this.deps.settings.launchLeaseSec * 1000, holder: this.deps.identity.self, count },
            updatedAt: now,
          },
        ],
      });
      return written.requests[0];
    } catch (error) {
      if (isHostFactoryError(error) && error.code === 'CONFLICT') return undefined; // another poll is on it
      throw error;
    }
  }

  private async launch(request: Request, template: Template, count: number, attempt: number, replay: boolean): Promise<LaunchOutcome> {
    try {
      const ready = await this.validator.prepare(template);
      const result: AcquireResult = await this.deps.providers.forApi(template.providerApi).acquire({
        request,
        template: templateForRequest(ready, request, this.deps.settings),
        count,
        attempt,
        deadline: request.createdAt + this.deps.settings.capacityTimeoutSec * 1000,
        ...(replay ? { replay: true } : {}),
      });
      this.deps.logger.info('top-up launch', {
        requestId: request.requestId,
        attempt,
        replay,
        asked: count,
        launched: result.machines.map((o) => o.machineId),
      });
      return {
        observations: result.machines,
        providerData: result.providerData ?? {},
        ...(result.shortfallReason === undefined ? {} : { reason: result.shortfallReason }),
      };
    } catch (error) {
      const failure = toHostFactoryError(error, 'PROVIDER_ERROR');
      this.deps.logger.warn('top-up launch failed', { requestId: request.requestId, attempt, code: failure.code, error: failure.message });
      return { observations: [], providerData: {}, reason: `${failure.code}: ${failure.message}`, failure };
    }
  }

  /**
   * Records the attempt's outcome and ends the lease (if it is still ours). Instances that come
   * back for a request that ended meanwhile are recorded as failed and given back.
   */
  private async record(claimed: Request, template: Template, outcome: LaunchOutcome): Promise<void> {
    let ended: { request: Request; machines: Machine[] } | undefined;
    let late: Machine[] = [];
    await retryOnConflict(async () => {
      ended = undefined;
      late = [];
      const [fresh] = await this.deps.store.getRequests([claimed.requestId]);
      if (!fresh) return;
      const stored = await this.deps.store.getMachines({ requestIds: [claimed.requestId] });
      const known = new Set(stored.map((m) => m.machineId));
      const now = this.deps.clock.now();
      const context = observationContext(this.deps.settings, now);
      let added = outcome.observations.filter((o) => !known.has(o.machineId)).map((o) => newMachine(o, machineOwner(fresh, template), context));
      if (fresh.status !== 'running') {
        added = added.map((m) => ({ ...m, result: 'fail' as const, message: 'Launched for a request that had already ended' }));
        late = added;
      }
      const { failure, reason } = outcome;
      let failedAttempts = fresh.failedAttempts;
      if (outcome.observations.length > 0) failedAttempts = 0;
      else if (failure && PERMANENT_LAUNCH_ERRORS.has(failure.code)) failedAttempts = this.deps.settings.maxFailedLaunchAttempts;
      else if (failure ? !failure.transient : reason !== undefined) failedAttempts += 1;
      // No machine, no error and no reason: capacity that a fleet or group fills later (its
      // fulfilment then tells); the capacity timeout bounds how long that is waited for.
      const all = [...stored, ...added];
      const ours = fresh.launchLease?.holder === this.deps.identity.self && fresh.launchAttempts === claimed.launchAttempts;
      let next: Request = {
        ...fresh,
        failedAttempts,
        message: shortfall(fresh, all) > 0 && reason ? reason : '',
        providerData: { ...fresh.providerData, ...outcome.providerData },
        ...(ours ? { launchLease: undefined } : {}),
        updatedAt: now,
      };
      if (fresh.status === 'running') next = withStatus(next, all, acquirePolicy(this.deps.settings, now), this.deps.identity);
      else next = { ...next, message: fresh.message };
      await this.deps.store.write({ requests: [next], machines: added });
      if (fresh.status === 'running' && next.status === 'complete_with_error') ended = { request: next, machines: all };
    });
    await releaseOrWarn(this.deps.store, this.deps.providers, this.deps.logger, late, 'launched for a request that had already ended');
    if (ended) await abandonOrWarn(this.deps.providers, this.deps.logger, ended.request, ended.machines);
  }

  /** Ends a dead caller's lease; a lost race means another poll took the request over. */
  private async clearLease(request: Request): Promise<void> {
    try {
      await this.deps.store.write({ requests: [{ ...request, launchLease: undefined, updatedAt: this.deps.clock.now() }] });
    } catch (error) {
      if (!isHostFactoryError(error) || error.code !== 'CONFLICT') throw error;
    }
  }
}
