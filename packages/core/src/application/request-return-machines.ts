import { isEndedState, newMachine, type Machine } from '../domain/machine/machine';
import { RETURN_PREFIX, type Request } from '../domain/request/request';
import { HostFactoryError, toHostFactoryError } from '../errors';
import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { IdGenerator } from '../ports/id-generator';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';
import { releaseByApi } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { resolveMachineRefs } from './resolve-machines';
import type { MachineRef, ReturnMachinesInput, ReturnMachinesOutput } from './results';

/**
 * requestReturnMachines: records a return request for the named machines (atomically marking
 * them, so two concurrent returns cannot both take a machine), then terminates the live ones
 * through the API that made them. Machines already being returned are not an error: their
 * termination is re-issued, and when nothing new is named the earlier return request is the
 * answer. Machine ids the store does not know are looked up in the cloud: those tagged for this
 * provider instance (the work dir was wiped or restored) are recorded in the return and given
 * back through the API that made them; the others are named in the answer, never terminated.
 * If the cloud refuses the termination the return stays recorded (status polls retry it) and the
 * call fails so HF tries again.
 */
export class RequestReturnMachines {
  constructor(
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly templates: TemplateSource,
  ) {}

  /** Stores a return request for the named machines and gives them back to the cloud. */
  async execute(input: ReturnMachinesInput): Promise<ReturnMachinesOutput> {
    const recovered = 'machines' in input ? await this.recoverForgotten(input.machines) : [];
    const outcome = await retryOnConflict(async () => {
      const resolved = await this.named(input);
      const namedIds = new Set(resolved.machines.map((m) => m.machineId));
      // Machines the store forgot (a wiped or restored work dir) but the cloud shows as ours.
      const forgotten = recovered.filter((m) => !namedIds.has(m.machineId));
      const recoveredIds = new Set(recovered.map((m) => m.machineId));
      const named = [...resolved.machines, ...forgotten];
      const unknown = resolved.unknown.filter((ref) => ref.machineId === undefined || !recoveredIds.has(ref.machineId));
      const fresh = named.filter((m) => m.returnRequestId === undefined);
      const alreadyReturning = named.filter((m) => m.returnRequestId !== undefined);
      const now = this.clock.now();
      const alive = fresh.filter((m) => !m.gone && !isEndedState(m.status));
      let request: Request;
      let marked: readonly Machine[] = [];
      const earlier = [...new Set(alreadyReturning.map((m) => m.returnRequestId as string))];
      if (fresh.length === 0 && earlier.length === 1) {
        const [existing] = await this.store.getRequests(earlier);
        request = existing as Request;
      } else {
        const draft: Request = {
          requestId: this.ids.next(RETURN_PREFIX),
          kind: 'return',
          machineCount: fresh.length,
          status: alive.length === 0 ? 'complete' : 'running',
          message: alive.length === 0 ? 'No Active VM' : '',
          ...(alive.length === 0 ? { closedAt: now } : {}),
          launchAttempts: 0,
          failedAttempts: 0,
          providerData: {},
          createdAt: now,
          updatedAt: now,
          version: 0,
        };
        const written = await this.store.write({
          requests: [draft],
          machines: fresh.map((m) => ({ ...m, returnRequestId: draft.requestId, updatedAt: now })),
        });
        request = written.requests[0] as Request;
        marked = written.machines;
      }
      const stillAlive = (m: Machine): boolean => !m.gone && !isEndedState(m.status);
      return {
        request,
        machines: marked.filter(stillAlive),
        alreadyReturning,
        unknown,
        toRelease: [...marked.filter(stillAlive), ...alreadyReturning.filter(stillAlive)],
      };
    });
    if (recovered.length > 0) {
      this.logger.warn('return names machines the store forgot; found in the cloud and given back', {
        machineIds: recovered.map((m) => m.machineId),
      });
    }
    if (outcome.unknown.length > 0) {
      this.logger.warn('return names machines this provider does not hold', { unknown: outcome.unknown });
    }
    this.logger.info('return recorded', {
      requestId: outcome.request.requestId,
      machineIds: outcome.machines.map((m) => m.machineId),
    });
    await this.release(outcome.toRelease, outcome.request.requestId);
    return {
      request: outcome.request,
      machines: outcome.request.status === 'running' ? [...outcome.machines, ...outcome.alreadyReturning] : [],
      alreadyReturning: outcome.alreadyReturning,
      unknown: outcome.unknown,
    };
  }

  private async named(input: ReturnMachinesInput): Promise<{ machines: Machine[]; unknown: MachineRef[] }> {
    if ('requestId' in input) {
      const [request] = await this.store.getRequests([input.requestId]);
      if (!request || request.kind !== 'acquire') {
        throw new HostFactoryError('REQUEST_NOT_FOUND', `Request ${input.requestId} not found`, {
          details: { requestId: input.requestId },
        });
      }
      const machines = await this.store.getMachines({ requestIds: [input.requestId] });
      return { machines: machines.filter((m) => m.result !== 'fail' || !m.gone), unknown: [] };
    }
    return resolveMachineRefs(this.store, input.machines);
  }

  /**
   * Named machine ids the store does not know, looked up in the cloud: those carrying this
   * provider instance's tags become machines (not stored yet) that HF held.
   */
  private async recoverForgotten(refs: readonly MachineRef[]): Promise<Machine[]> {
    const ids = refs.flatMap((ref) => (ref.machineId ? [ref.machineId] : []));
    if (ids.length === 0) return [];
    const known = new Set((await this.store.getMachines({ machineIds: ids })).map((m) => m.machineId));
    const unknownIds = ids.filter((id) => !known.has(id));
    if (unknownIds.length === 0) return [];
    const apis = [...new Set((await this.templates.list()).map((t) => t.providerApi))];
    const found = new Map<string, Machine>();
    const now = this.clock.now();
    for (const api of apis) {
      const provider = this.providers.forApi(api);
      if (!provider.lookup) continue;
      for (const o of await provider.lookup(unknownIds)) {
        if (found.has(o.machineId)) continue;
        const owner = { requestId: o.requestId ?? '', templateId: o.templateId ?? '', providerApi: o.providerApi ?? api, instanceTags: '' };
        const machine = newMachine(o, owner, { now, pendingTimeoutSec: 0 });
        found.set(o.machineId, { ...machine, result: 'succeed', message: 'Recovered from the cloud: the store did not know it' });
      }
    }
    return [...found.values()];
  }

  private async release(machines: readonly Machine[], requestId: string): Promise<void> {
    let failure: HostFactoryError | undefined;
    let cause: unknown;
    await releaseByApi(this.store, this.providers, machines, (_api, _group, error) => {
      failure ??= toHostFactoryError(error, 'PROVIDER_ERROR');
      cause ??= error;
    });
    if (failure) {
      this.logger.error('terminate failed', { requestId, code: failure.code, error: failure.message });
      throw new HostFactoryError(failure.code, `Return ${requestId} is recorded but the cloud did not take it yet: ${failure.message}`, {
        cause,
        details: { ...failure.details, requestId },
        transient: true,
      });
    }
  }
}
