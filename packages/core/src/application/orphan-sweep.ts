import { isEndedState, isMachineFinished, isMachineHeld, newMachine, type Machine, type MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi } from '../domain/template/template';
import { toHostFactoryError } from '../errors';
import type { CapacityHolder } from '../ports/capacity-provider';
import { launchInFlight, observationContext } from './acquire-status';
import { lookAtCloud } from './cloud-look';
import { abandonOrWarn, applyCloudView, groupByApi } from './cloud-view';
import { retryOnConflict } from './conflict-retry';
import { machineOwner } from './machine-owner';
import { closeFinishedRequests } from './request-closing';
import { ReturnReconciler } from './return-reconciler';
import type { UseCaseContext } from './use-case-context';

/** The store lease that lets one process sweep per interval. */
export const SWEEP_LEASE = 'orphan-sweep';
/** Cache keys: when each orphan was first seen, and the machines HF last said it holds. */
export const SIGHTINGS_KEY = 'orphan-sightings';
export const HF_HELD_KEY = 'hf-held-machines';
/** How long HF's list of held machines is trusted after getReturnRequests gave it. */
const HF_HELD_TTL_MS = 24 * 3600_000;

/** How one sweep runs. */
export interface SweepOptions {
  /** Machine ids HF says it holds (getReturnRequests): never touched, whatever the store says. */
  readonly hfHeld?: readonly string[];
  /** Only report: nothing is changed in the store or the cloud. */
  readonly dryRun?: boolean;
  /** Give orphans back now, without waiting out the grace period (the operator's reconcile). */
  readonly immediate?: boolean;
  /** Epoch ms after which no further step is started (the call's time budget). */
  readonly deadline?: number;
}

/** What the sweep did about a finding: gave it back, only reported it, waits out its grace, or failed to give it back. */
export type SweepAction = 'given back' | 'reported' | 'waiting' | 'failed';

/** One thing the sweep found and what it did about it. */
export interface SweepFinding {
  /** `request`, `instance`, or a holder's kind (`EC2 Fleet`, `Spot Fleet request`, `Auto Scaling group`). */
  readonly kind: string;
  readonly id: string;
  readonly requestId?: string;
  readonly reason: string;
  readonly action: SweepAction;
  /** For `waiting`: seconds of grace left. */
  readonly graceLeftSec?: number;
}

/** What one sweep found and did. */
export interface SweepReport {
  readonly findings: readonly SweepFinding[];
  /** False when the deadline cut the sweep short (the next one carries on). */
  readonly complete: boolean;
}

interface Orphan {
  readonly key: string;
  readonly kind: string;
  readonly id: string;
  readonly requestId?: string;
  readonly reason: string;
  /** Known not to be HF's (failed, returned, of a request ended as an orphan): no grace. */
  readonly dueNow: boolean;
  readonly api: ProviderApi;
  readonly holder?: CapacityHolder;
  readonly observation?: MachineObservation;
  readonly machine?: Machine;
}

/**
 * Finds and gives back what this provider instance holds in the cloud that nobody will ever
 * return, in three steps:
 *
 * 1. Requests HF never learnt of: a running acquire request that HF has not polled within
 *    AWS_ORPHAN_TIMEOUT_SEC of its creation (its requestMachines call died before answering)
 *    ends `complete_with_error`; its capacity is given back through the API that made it.
 * 2. Return requests still running are reconciled as a poll would (HF never polls one whose
 *    requestReturnMachines died before answering). Ended requests that still hold something:
 *    machines that failed or were returned but are still alive are given back again; machines
 *    seen finished close their requests.
 * 3. The cloud's inventory (every instance, fleet, Spot Fleet request and group tagged with the
 *    provider name) against the store: what the store does not hold, or holds for an ended
 *    request, and HF does not hold, is logged at warn and given back once it has been seen for
 *    AWS_ORPHAN_GRACE_SEC. Instances of a request HF still polls, machines HF holds (stored as
 *    held, or listed by HF in getReturnRequests) and holders holding any of them are never touched.
 *
 * With AWS_ORPHAN_ACTION `report` everything is only logged. Automatic sweeps run at most once per
 * AWS_ORPHAN_SWEEP_INTERVAL_SEC across processes (a store lease); `run` is for the operator.
 */
export class OrphanSweep {
  constructor(private readonly deps: UseCaseContext) {}

  /**
   * Runs the sweep when this process takes the interval's lease; undefined otherwise. Never
   * throws: a failure is logged and the next interval tries again.
   */
  async maybeRun(options: SweepOptions = {}): Promise<SweepReport | undefined> {
    try {
      if (options.hfHeld !== undefined) await this.rememberHfHeld(options.hfHeld);
      const now = this.deps.clock.now();
      const until = now + this.deps.settings.orphanSweepIntervalSec * 1000;
      if (!(await this.deps.store.takeLease(SWEEP_LEASE, this.deps.identity.self, until, now))) return undefined;
      return await this.run(options);
    } catch (error) {
      this.deps.logger.warn('orphan sweep failed; will retry', { error: toHostFactoryError(error).message });
      return undefined;
    }
  }

  /** Runs the sweep now (no lease). Throws when the store or the cloud cannot be read. */
  async run(options: SweepOptions = {}): Promise<SweepReport> {
    const findings: SweepFinding[] = [];
    const act = !options.dryRun && this.deps.settings.orphanAction === 'terminate';
    const overdue = (): boolean => options.deadline !== undefined && this.deps.clock.now() > options.deadline;

    const done = (complete: boolean): SweepReport => {
      const report = { findings, complete };
      this.log(report);
      return report;
    };
    const running = await this.deps.store.listRequests({ kind: 'acquire', statuses: ['running'] });
    const endedNow = await this.endUnpolled(running, act, findings);
    if (overdue()) return done(false);
    if (act) await this.settleReturns();
    if (overdue()) return done(false);
    await this.settleEnded(act, findings);
    if (overdue()) return done(false);
    await this.sweepInventory(await this.apisInUse(running), endedNow, options, act, findings);
    return done(true);
  }

  /** Step 1: running acquire requests HF never polled within the orphan timeout. */
  private async endUnpolled(running: readonly Request[], act: boolean, findings: SweepFinding[]): Promise<Set<string>> {
    const now = this.deps.clock.now();
    const timeoutMs = this.deps.settings.orphanTimeoutSec * 1000;
    const unpolled = running.filter(
      (r) => r.firstPolledAt === undefined && now - r.createdAt >= timeoutMs && !launchInFlight(r, now, this.deps.identity),
    );
    const ended = new Set<string>();
    for (const request of unpolled) {
      const reason = `never polled by HF within ${this.deps.settings.orphanTimeoutSec} s of its creation (AWS_ORPHAN_TIMEOUT_SEC)`;
      if (!act) {
        findings.push({ kind: 'request', id: request.requestId, requestId: request.requestId, reason, action: 'reported' });
        continue;
      }
      const outcome = await retryOnConflict(async () => {
        const [fresh] = await this.deps.store.getRequests([request.requestId]);
        if (!fresh || fresh.status !== 'running' || fresh.firstPolledAt !== undefined) return undefined;
        if (launchInFlight(fresh, this.deps.clock.now(), this.deps.identity)) return undefined;
        const machines = await this.deps.store.getMachines({ requestIds: [fresh.requestId] });
        const at = this.deps.clock.now();
        const dropped = machines
          .filter((m) => m.result !== 'fail')
          .map((m) => ({ ...m, result: 'fail' as const, message: `Orphan: its request was ${reason}`, updatedAt: at }));
        const written = await this.deps.store.write({
          requests: [
            {
              ...fresh,
              status: 'complete_with_error',
              message: `Orphan: ${reason}; its capacity was given back`,
              launchLease: undefined,
              updatedAt: at,
            },
          ],
          machines: dropped,
        });
        return { request: written.requests[0] as Request, machines: [...machines.filter((m) => m.result === 'fail'), ...written.machines] };
      });
      if (!outcome) continue;
      ended.add(request.requestId);
      findings.push({ kind: 'request', id: request.requestId, requestId: request.requestId, reason, action: 'given back' });
      await abandonOrWarn(this.deps.providers, this.deps.logger, outcome.request, outcome.machines);
    }
    return ended;
  }

  /**
   * Running return requests are reconciled here too, as a poll would: one whose requestReturnMachines
   * died before answering is never polled by HF (HF returns the machines again under a new request),
   * yet its machines must be seen terminated and the request completed, or they would count
   * against their template for ever.
   */
  private async settleReturns(): Promise<void> {
    const returns = await this.deps.store.listRequests({ kind: 'return', statuses: ['running'] });
    if (returns.length === 0) return;
    const look = await lookAtCloud(this.deps.store, this.deps.providers, this.deps.logger, [], returns);
    const reconciler = new ReturnReconciler(this.deps);
    for (const request of returns) {
      if (!look.blind.has(request.requestId)) await reconciler.reconcile(request.requestId, look.view);
    }
  }

  /**
   * Step 2: requests that ended short or returns that timed out, not closed yet. Their machines
   * that are neither held by HF nor finished are looked at: finished ones are recorded so, alive
   * ones (failed, returned but not taken) are given back. Requests left with nothing alive are
   * closed. (A complete acquire request holds HF's machines; the returns that take them close it.)
   */
  private async settleEnded(act: boolean, findings: SweepFinding[]): Promise<void> {
    const open = await this.deps.store.listRequests({ statuses: ['complete_with_error'], open: true });
    if (open.length === 0) return;
    const returns = open.filter((r) => r.kind === 'return').map((r) => r.requestId);
    const acquires = open.filter((r) => r.kind === 'acquire').map((r) => r.requestId);
    const unfinished = (await this.deps.store.getMachines({ requestIds: acquires, returnRequestIds: returns })).filter(
      (m) => !isMachineHeld(m) && !isMachineFinished(m),
    );
    // Machines whose return is still running are that return's business (its polls re-issue it).
    const returnIds = [...new Set(unfinished.flatMap((m) => (m.returnRequestId ? [m.returnRequestId] : [])))];
    const runningReturns = new Set((await this.deps.store.getRequests(returnIds)).filter((r) => r.status === 'running').map((r) => r.requestId));
    const machines = unfinished.filter((m) => m.returnRequestId === undefined || !runningReturns.has(m.returnRequestId));
    const now = this.deps.clock.now();
    const context = observationContext(this.deps.settings, now);
    const alive: Machine[] = [];
    for (const [api, group] of groupByApi(machines)) {
      let result;
      try {
        result = await this.deps.providers.forApi(api).describe({ requests: [], machines: group });
      } catch (error) {
        this.deps.logger.warn('orphan sweep could not look at machines of ended requests', { api, error: toHostFactoryError(error).message });
        continue;
      }
      const view = { observations: new Map(result.observations.map((o) => [o.machineId, o])), missing: new Set(result.missing) };
      const { all, changed } = applyCloudView(group, view, context);
      if (act && changed.length > 0) await this.bestEffort(this.deps.store.write({ machines: changed }), 'record machines of ended requests');
      alive.push(...all.filter((m) => !m.gone && !isEndedState(m.status)));
    }
    for (const machine of alive) {
      const reason = machine.returnRequestId ? `returned (${machine.returnRequestId}) but still alive` : 'failed but still alive';
      findings.push({ kind: 'instance', id: machine.machineId, requestId: machine.requestId, reason, action: act ? 'given back' : 'reported' });
    }
    if (act && alive.length > 0) await this.giveBackMachines(alive, findings);
    if (!act) return;
    // The acquire requests these machines belong to may be finished now too.
    await closeFinishedRequests(this.deps.store, [...acquires, ...machines.map((m) => m.requestId)], this.deps.clock.now());
    const finishedReturns = returns.filter((id) => !alive.some((m) => m.returnRequestId === id));
    const stillOpen = (await this.deps.store.getRequests(finishedReturns)).filter((r) => r.closedAt === undefined);
    const returned = await this.deps.store.getMachines({ returnRequestIds: stillOpen.map((r) => r.requestId) });
    for (const request of stillOpen) {
      if (!returned.filter((m) => m.returnRequestId === request.requestId).every(isMachineFinished)) continue;
      const at = this.deps.clock.now();
      await this.bestEffort(this.deps.store.write({ requests: [{ ...request, closedAt: at, updatedAt: at }] }), 'close a return request');
    }
  }

  /** Step 3: the cloud's inventory against the store. */
  private async sweepInventory(
    apis: readonly ProviderApi[],
    endedNow: ReadonlySet<string>,
    options: SweepOptions,
    act: boolean,
    findings: SweepFinding[],
  ): Promise<void> {
    const instances = new Map<string, MachineObservation>();
    const holders = new Map<string, CapacityHolder>();
    let looked = false;
    for (const api of apis) {
      const provider = this.deps.providers.forApi(api);
      if (!provider.inventory) continue;
      looked = true;
      const inventory = await provider.inventory();
      for (const o of inventory.instances) instances.set(o.machineId, o);
      for (const h of inventory.holders) holders.set(`${h.api}:${h.id}`, h);
    }
    if (!looked) return;

    const holderOf = new Map<string, CapacityHolder>();
    for (const holder of holders.values()) for (const id of holder.instanceIds) holderOf.set(id, holder);
    const requestIds = new Set<string>();
    for (const o of instances.values()) if (o.requestId) requestIds.add(o.requestId);
    for (const h of holders.values()) if (h.requestId) requestIds.add(h.requestId);
    const allIds = [...new Set([...instances.keys(), ...holderOf.keys()])];
    const machines = new Map((await this.deps.store.getMachines({ machineIds: allIds })).map((m) => [m.machineId, m]));
    for (const m of machines.values()) {
      requestIds.add(m.requestId);
      if (m.returnRequestId) requestIds.add(m.returnRequestId);
    }
    const requests = new Map((await this.deps.store.getRequests([...requestIds])).map((r) => [r.requestId, r]));
    const hfHeld = new Set(options.hfHeld ?? (await this.recalledHfHeld()));
    const isProtected = (id: string): boolean => {
      const machine = machines.get(id);
      return hfHeld.has(id) || (machine !== undefined && isMachineHeld(machine));
    };
    const polled = (requestId: string | undefined): boolean =>
      requestId !== undefined && requests.get(requestId)?.status === 'running' && !endedNow.has(requestId);

    const orphans: Orphan[] = [];
    const disposed = new Set<string>();
    for (const holder of holders.values()) {
      if (polled(holder.requestId) || holder.instanceIds.some(isProtected)) continue;
      const request = holder.requestId ? requests.get(holder.requestId) : undefined;
      orphans.push({
        key: `${holder.api}:${holder.id}`,
        kind: holder.kind,
        id: holder.id,
        ...(holder.requestId ? { requestId: holder.requestId } : {}),
        reason: orphanReason(holder.requestId, request),
        dueNow: holder.requestId !== undefined && endedNow.has(holder.requestId),
        api: holder.api,
        holder,
      });
      for (const id of holder.instanceIds) disposed.add(id);
    }
    for (const observation of instances.values()) {
      const id = observation.machineId;
      if (isProtected(id) || disposed.has(id)) continue;
      const machine = machines.get(id);
      const holder = holderOf.get(id);
      const requestId = machine?.requestId ?? observation.requestId ?? holder?.requestId;
      if (polled(requestId)) continue;
      const request = requestId ? requests.get(requestId) : undefined;
      let reason = orphanReason(requestId, request);
      let dueNow = requestId !== undefined && endedNow.has(requestId);
      if (machine?.returnRequestId) {
        if (requests.get(machine.returnRequestId)?.status === 'running') continue; // its return poll re-issues it
        reason = `returned (${machine.returnRequestId}) but still alive`;
        dueNow = true;
      } else if (machine?.result === 'fail') {
        reason = 'failed but still alive';
        dueNow = true;
      }
      orphans.push({
        key: `instance:${id}`,
        kind: 'instance',
        id,
        ...(requestId ? { requestId } : {}),
        reason,
        dueNow,
        api: machine?.providerApi ?? observation.providerApi ?? holder?.api ?? request?.providerApi ?? 'RunInstances',
        observation,
        ...(machine ? { machine } : {}),
      });
    }

    const now = this.deps.clock.now();
    const sightings = await this.sightings(now);
    const graceMs = this.deps.settings.orphanGraceSec * 1000;
    const waiting: Record<string, number> = {};
    const due: Orphan[] = [];
    for (const orphan of orphans) {
      const firstSeen = sightings[orphan.key] ?? now;
      const isDue = options.immediate === true || orphan.dueNow || now - firstSeen >= graceMs;
      if (isDue && act) {
        due.push(orphan);
        continue;
      }
      waiting[orphan.key] = firstSeen;
      const base = { kind: orphan.kind, id: orphan.id, reason: orphan.reason, ...(orphan.requestId ? { requestId: orphan.requestId } : {}) };
      findings.push(
        isDue || !act ? { ...base, action: 'reported' } : { ...base, action: 'waiting', graceLeftSec: Math.ceil((firstSeen + graceMs - now) / 1000) },
      );
    }
    if (!options.dryRun) {
      await this.deps.store.putCached(SIGHTINGS_KEY, JSON.stringify(waiting), now + graceMs + 10 * this.deps.settings.orphanSweepIntervalSec * 1000);
    }
    if (due.length === 0) return;
    await this.giveBack(due, requests, findings);
  }

  /** Gives back due orphans: holders with their instances first, then single instances. */
  private async giveBack(due: readonly Orphan[], requests: ReadonlyMap<string, Request>, findings: SweepFinding[]): Promise<void> {
    const report = (orphan: Orphan, action: SweepAction): void => {
      findings.push({
        kind: orphan.kind,
        id: orphan.id,
        reason: orphan.reason,
        action,
        ...(orphan.requestId ? { requestId: orphan.requestId } : {}),
      });
    };
    const holderOrphans = due.filter((o) => o.holder !== undefined);
    for (const [api, group] of groupBy(holderOrphans, (o) => o.api)) {
      const provider = this.deps.providers.forApi(api);
      if (!provider.dispose) {
        for (const orphan of group) report(orphan, 'reported'); // the provider cannot remove holders
        continue;
      }
      try {
        await provider.dispose(group.map((o) => o.holder as CapacityHolder));
        for (const orphan of group) report(orphan, 'given back');
      } catch (error) {
        this.deps.logger.warn('orphan sweep could not remove holders', {
          api,
          ids: group.map((o) => o.id),
          error: toHostFactoryError(error).message,
        });
        for (const orphan of group) report(orphan, 'failed');
      }
    }
    const instanceOrphans = due.filter((o) => o.holder === undefined);
    if (instanceOrphans.length === 0) return;
    const now = this.deps.clock.now();
    const context = observationContext(this.deps.settings, now);
    const records: Machine[] = [];
    const machines = instanceOrphans.map((orphan) => {
      if (orphan.machine) return orphan.machine;
      const observation = orphan.observation as MachineObservation;
      const request = orphan.requestId ? requests.get(orphan.requestId) : undefined;
      const owner = request
        ? machineOwner(request, undefined)
        : { requestId: orphan.requestId ?? '', templateId: observation.templateId ?? '', providerApi: orphan.api, instanceTags: '' };
      const machine: Machine = {
        ...newMachine(observation, { ...owner, providerApi: orphan.api }, context),
        result: 'fail',
        message: `Orphan given back: ${orphan.reason}`,
      };
      if (request) records.push(machine); // kept with its request, for the record
      return machine;
    });
    if (records.length > 0) await this.bestEffort(this.deps.store.write({ machines: records }), 'record orphans given back');
    const failedIds = new Set<string>();
    for (const [api, group] of groupByApi(machines)) {
      try {
        const owners = new Set(group.map((m) => m.requestId));
        await this.deps.providers.forApi(api).release(
          group,
          [...requests.values()].filter((r) => owners.has(r.requestId)),
        );
      } catch (error) {
        this.deps.logger.warn('orphan sweep could not terminate instances', {
          api,
          machineIds: group.map((m) => m.machineId),
          error: toHostFactoryError(error).message,
        });
        for (const m of group) failedIds.add(m.machineId);
      }
    }
    for (const orphan of instanceOrphans) report(orphan, failedIds.has(orphan.id) ? 'failed' : 'given back');
  }

  /** Releases alive machines of ended requests through the API that made each. */
  private async giveBackMachines(machines: readonly Machine[], findings: SweepFinding[]): Promise<void> {
    const requests = await this.deps.store.getRequests([...new Set(machines.map((m) => m.requestId))]);
    for (const [api, group] of groupByApi(machines)) {
      try {
        await this.deps.providers.forApi(api).release(group, requests);
      } catch (error) {
        this.deps.logger.warn('orphan sweep could not terminate instances', {
          api,
          machineIds: group.map((m) => m.machineId),
          error: toHostFactoryError(error).message,
        });
        const failed = new Set(group.map((m) => m.machineId));
        for (const [index, finding] of findings.entries()) {
          if (finding.kind === 'instance' && failed.has(finding.id) && finding.action === 'given back')
            findings[index] = { ...finding, action: 'failed' };
        }
      }
    }
  }

  /** The APIs to look at: every configured template's, and every running request's. */
  private async apisInUse(running: readonly Request[]): Promise<ProviderApi[]> {
    const apis = new Set<ProviderApi>((await this.deps.templates.list()).map((t) => t.providerApi));
    for (const request of running) if (request.providerApi) apis.add(request.providerApi);
    return [...apis];
  }

  private async sightings(now: number): Promise<Record<string, number>> {
    const text = await this.deps.store.getCached(SIGHTINGS_KEY, now);
    return parseRecord(text);
  }

  private async rememberHfHeld(ids: readonly string[]): Promise<void> {
    const now = this.deps.clock.now();
    const value = JSON.stringify([...new Set(ids)].sort());
    if ((await this.deps.store.getCached(HF_HELD_KEY, now)) === value) return;
    await this.deps.store.putCached(HF_HELD_KEY, value, now + HF_HELD_TTL_MS);
  }

  private async recalledHfHeld(): Promise<string[]> {
    const text = await this.deps.store.getCached(HF_HELD_KEY, this.deps.clock.now());
    try {
      const value: unknown = text === undefined ? [] : JSON.parse(text);
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    } catch {
      return [];
    }
  }

  private async bestEffort(work: Promise<unknown>, what: string): Promise<void> {
    try {
      await work;
    } catch (error) {
      this.deps.logger.debug(`orphan sweep could not ${what}; the next sweep tries again`, { error: toHostFactoryError(error).message });
    }
  }

  private log(report: SweepReport): void {
    const acted = report.findings.filter((f) => f.action !== 'waiting');
    const waiting = report.findings.filter((f) => f.action === 'waiting');
    if (acted.length > 0) this.deps.logger.warn('orphans found', { action: this.deps.settings.orphanAction, findings: acted });
    if (waiting.length > 0) this.deps.logger.warn('orphans seen; given back after the grace period', { findings: waiting });
  }
}

function orphanReason(requestId: string | undefined, request: Request | undefined): string {
  if (requestId === undefined) return 'carries no request tag and the store does not hold it';
  if (request === undefined) return `its request ${requestId} is not in the store`;
  return `its request ${requestId} has ended (${request.status})`;
}

function parseRecord(text: string | undefined): Record<string, number> {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
  } catch {
    return {};
  }
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
