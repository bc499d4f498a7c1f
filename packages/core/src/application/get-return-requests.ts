import { isEndedState, newMachine, type Machine } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi } from '../domain/template/template';
import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import { applyCloudView, groupByApi } from './cloud-view';
import { machineOwner } from './machine-owner';
import { resolveMachineRefs } from './resolve-machines';
import type { MachineRef, ReclaimReport } from './results';

/**
 * getReturnRequests: the machines HF should give back because the cloud is taking them: spot
 * interruption / rebalance notices (grace period = seconds left), instances stopped or
 * terminated outside the plugin (grace 0) and instances the cloud no longer knows (grace 0).
 * Machines already in one of our return requests are never listed. Looks at the machines HF
 * names, or at every machine HF holds when it names none. A cloud failure fails the call
 * (an empty answer would wrongly say that nothing is being taken).
 */
export class GetReturnRequests {
  constructor(
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly clock: Clock,
    private readonly settings: ProviderSettings,
    private readonly logger: Logger,
  ) {}

  async execute(input: { readonly machines?: readonly MachineRef[] }): Promise<ReclaimReport[]> {
    const candidates = input.machines
      ? (await resolveMachineRefs(this.store, input.machines)).machines
      : await this.store.getMachines({ held: true });
    const watched = candidates.filter((m) => m.returnRequestId === undefined && m.result === 'succeed');

    const context = { now: this.clock.now(), pendingTimeoutSec: this.settings.pendingTimeoutSec };
    const reports: ReclaimReport[] = [];
    const changed: Machine[] = [];
    for (const [api, group] of groupByApi(watched)) {
      const result = await this.providers.forApi(api).describe({ requests: [], machines: group });
      const view = { observations: new Map(result.observations.map((o) => [o.machineId, o])), missing: new Set(result.missing) };
      const applied = applyCloudView(group, view, context);
      changed.push(...applied.changed);
      for (const machine of applied.all) {
        const report = this.reclaim(machine, context.now);
        if (report) reports.push(report);
      }
    }
    if (changed.length > 0) {
      // Keeping what was seen is a courtesy; a concurrent writer's newer view wins.
      await this.store.write({ machines: changed }).catch((error: unknown) =>
        this.logger.debug('reclaim observations not stored', { error: String(error) }),
      );
    }
    this.logger.info('reclaims', { watched: watched.length, reclaimed: reports.map((r) => r.machineId) });
    await this.sweepFailedLaunches();
    return reports;
  }

  /**
   * A request that ended with less than asked (or whose launch failed in transit) may still get
   * instances from the cloud: while its orphan check lasts, find instances carrying its tag that
   * HF does not hold (never recorded, or recorded as failed), record them as failed and terminate
   * them. Machines handed to HF are never touched. Best effort: a failure is logged and tried
   * again on the next call.
   */
  private async sweepFailedLaunches(): Promise<void> {
    const now = this.clock.now();
    // Only the requests still under an orphan check (an indexed query, not every failed request ever).
    const suspects = await this.store.listRequests({ kind: 'acquire', statuses: ['complete_with_error'], orphanCheck: true });
    const byApi = new Map<ProviderApi, Request[]>();
    for (const request of suspects) {
      const api = request.providerApi ?? 'RunInstances';
      byApi.set(api, [...(byApi.get(api) ?? []), request]);
    }
    const context = { now, pendingTimeoutSec: this.settings.pendingTimeoutSec };
    for (const [api, requests] of byApi) {
      try {
        const provider = this.providers.forApi(api);
        const ids = new Set(requests.map((r) => r.requestId));
        const { observations } = await provider.describe({ requests, machines: [] });
        const found = observations.filter((o) => o.requestId !== undefined && ids.has(o.requestId));
        const stored = new Map(
          (await this.store.getMachines({ machineIds: found.map((o) => o.machineId) })).map((m) => [m.machineId, m]),
        );
        // Only what HF does not hold: instances the store never recorded, and recorded ones that
        // failed. A machine of a request that ended short but was handed to HF stays HF's.
        const fresh = found
          .filter((o) => !stored.has(o.machineId))
          .map((o) => {
            const request = requests.find((r) => r.requestId === o.requestId) as Request;
            const machine = newMachine(o, machineOwner(request, undefined), context);
            return { ...machine, result: 'fail' as const, message: 'Launched for a request that had already ended; terminated' };
          });
        const failed = found
          .filter((o) => stored.get(o.machineId)?.result === 'fail')
          .map((o) => ({ ...(stored.get(o.machineId) as Machine), status: o.state }));
        const alive = [...fresh, ...failed].filter((m) => !isEndedState(m.status));
        if (fresh.length > 0) await this.store.write({ machines: fresh });
        if (alive.length > 0) {
          this.logger.warn('terminating instances of failed launches', { machineIds: alive.map((m) => m.machineId) });
          await provider.release(alive, requests);
        }
        const expired = requests.filter((r) => (r.orphanCheckUntil as number) <= now);
        if (expired.length > 0) {
          await this.store.write({ requests: expired.map((r) => ({ ...r, orphanCheckUntil: undefined, updatedAt: now })) });
        }
      } catch (error) {
        this.logger.warn('orphan sweep failed; will retry', { api, error: String(error) });
      }
    }
  }

  private reclaim(machine: Machine, now: number): ReclaimReport | undefined {
    const base = { machineId: machine.machineId, name: machine.name || machine.privateIpAddress || machine.machineId };
    if (machine.gone) return { ...base, gracePeriod: 0, reason: 'instance no longer exists' };
    if (isEndedState(machine.status)) return { ...base, gracePeriod: 0, reason: `instance ${machine.status} outside the plugin` };
    if (machine.notice) {
      const left = machine.notice.deadline === undefined ? 0 : Math.max(0, Math.floor(machine.notice.deadline - now / 1000));
      return { ...base, gracePeriod: left, reason: machine.notice.kind };
    }
    return undefined;
  }
}
