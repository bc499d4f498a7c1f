import { isEndedState, isMachineFinished, type Machine } from '../domain/machine/machine';
import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { unknownProcess, type ProcessIdentity } from '../ports/process-identity';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';
import { applyCloudView, groupByApi } from './cloud-view';
import { OrphanSweep } from './orphan-sweep';
import { RetentionPurge } from './retention';
import { closeFinishedRequests } from './request-closing';
import { resolveMachineRefs } from './resolve-machines';
import type { MachineRef, ReclaimReport } from './results';

/**
 * getReturnRequests: the machines HF should give back because the cloud is taking them: spot
 * interruption / rebalance notices (grace period = seconds left), instances stopped or
 * terminated outside the plugin (grace 0) and instances the cloud no longer knows (grace 0).
 * Machines already in one of our return requests are never listed. Looks at the machines HF
 * names, or at every machine HF holds when it names none. A cloud failure fails the call
 * (an empty answer would wrongly say that nothing is being taken). Then lets the orphan sweep run
 * when its interval is due, with HF's list of held machines as what it must never touch, and
 * the retention purge when its (hourly) interval is due.
 */
export class GetReturnRequests {
  private readonly sweep: OrphanSweep;
  private readonly purge: RetentionPurge;

  constructor(
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly clock: Clock,
    private readonly settings: ProviderSettings,
    private readonly logger: Logger,
    templates: TemplateSource,
    identity: ProcessIdentity = unknownProcess,
  ) {
    this.sweep = new OrphanSweep({ store, providers, templates, clock, settings, logger, identity });
    this.purge = new RetentionPurge({ store, clock, settings, logger, identity });
  }

  /** The machines HF should give back because the cloud is taking them (spot interruptions, rebalance, vanished). */
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
      await this.store
        .write({ machines: changed })
        .catch((error: unknown) => this.logger.debug('reclaim observations not stored', { error: String(error) }));
    }
    this.logger.info('reclaims', { watched: watched.length, reclaimed: reports.map((r) => r.machineId) });
    const finished = changed.filter(isMachineFinished).map((m) => m.requestId);
    if (finished.length > 0) await closeFinishedRequests(this.store, finished, this.clock.now()).catch(() => undefined);
    // HF lists what it holds: the sweep never touches those machines, whatever the store says.
    const hfHeld = input.machines?.flatMap((ref) => (ref.machineId ? [ref.machineId] : []));
    await this.sweep.maybeRun(hfHeld === undefined ? {} : { hfHeld });
    await this.purge.maybeRun();
    return reports;
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
