import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  HostFactoryError,
  type AcquireInput,
  type AcquireResult,
  type CapacityProvider,
  type Clock,
  type CloudInventory,
  type DescribeInput,
  type DescribeResult,
  type Machine,
  type MachineObservation,
  type PreflightResult,
  type Template,
} from '@open-hostfactory/core';
import { PoolFile, type Lease, type PoolState } from './pool-file';

/** The `providerApi` of the static pool's templates. */
export const STATIC_POOL_API = 'StaticPool';

/** What the pool provider needs: its instance's name, where its pool file lives, the time. */
export interface StaticPoolOptions {
  /** HF_PROVIDER_NAME: names the pool file, so two provider instances keep separate pools. */
  readonly providerName: string;
  /** HF_PROVIDER_WORKDIR: holds `<providerName>.static-pool.json`. */
  readonly workDir: string;
  readonly clock: Clock;
}

/**
 * A static pool of existing hosts (a rack of on-premises machines, reserved instances someone
 * else runs): each template lists its hosts in `providerSettings.hosts`; `acquire` hands out
 * hosts no request holds, `release` takes them back. Nothing is started or stopped: a host is
 * `running` while it is handed out and unknown (gone) once given back.
 *
 * - A host is handed out once across every template of the provider instance (leases are by host).
 * - Idempotent per (request, attempt): the leases an attempt made are returned again.
 * - Machine ids are `sp-<host>-<digest of host and request>`, new for every request, so a host
 *   handed out again is a new machine to HF (its stored history stays apart).
 * - `inventory` and `lookup` answer from the leases, so the orphan sweep gives back hosts whose
 *   request HF never learnt of.
 */
export class StaticPoolProvider implements CapacityProvider {
  readonly api = STATIC_POOL_API;
  private readonly pool: PoolFile;

  constructor(private readonly options: StaticPoolOptions) {
    const safe = options.providerName.replace(/[^A-Za-z0-9._-]/g, '_');
    this.pool = new PoolFile(join(options.workDir, `${safe}.static-pool.json`));
  }

  /** Hands out up to `count` free hosts of the template (fewer, with the reason, when the pool runs short). */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const hosts = hostsOf(input.template);
    const { request, attempt, count } = input;
    const now = Math.floor(this.options.clock.now() / 1000);
    const leases = await this.pool.update((state) => {
      const made = Object.values(state.leases).filter((l) => l.requestId === request.requestId && l.attempt === attempt);
      if (made.length > 0) return { state, result: made };
      const free = hosts.filter((host) => state.leases[host] === undefined).slice(0, count);
      const taken: Lease[] = free.map((host) => ({
        host,
        machineId: machineIdOf(host, request.requestId),
        requestId: request.requestId,
        templateId: input.template.templateId,
        attempt,
        instanceType: instanceTypeOf(input.template),
        since: now,
      }));
      return { state: { leases: { ...state.leases, ...Object.fromEntries(taken.map((l) => [l.host, l])) } }, result: taken };
    });
    const machines = leases.map((lease) => this.observation(lease));
    if (machines.length >= count) return { machines };
    const busy = hosts.length - machines.length;
    return {
      machines,
      shortfallReason: `static pool: ${machines.length} of ${count} host(s) free (${hosts.length} in the template, ${busy} handed out)`,
    };
  }

  /** The hosts of the asked requests, and the asked machines still handed out (the others are missing). */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    const leases = Object.values(this.pool.read().leases);
    const requestIds = new Set(input.requests.map((r) => r.requestId));
    const byMachine = new Map(leases.map((l) => [l.machineId, l]));
    const seen = new Map<string, MachineObservation>();
    for (const lease of leases) if (requestIds.has(lease.requestId)) seen.set(lease.machineId, this.observation(lease));
    const missing: string[] = [];
    for (const machine of input.machines) {
      const lease = byMachine.get(machine.machineId);
      if (lease) seen.set(lease.machineId, this.observation(lease));
      else missing.push(machine.machineId);
    }
    return { observations: [...seen.values()], missing };
  }

  /** Takes the machines' hosts back (idempotent: hosts already back are skipped). */
  async release(machines: readonly Machine[]): Promise<void> {
    const ids = new Set(machines.map((m) => m.machineId));
    await this.pool.update((state) => ({
      state: { leases: Object.fromEntries(Object.entries(state.leases).filter(([, l]) => !ids.has(l.machineId))) },
      result: undefined,
    }));
  }

  /** Every host handed out by this provider instance. */
  async inventory(): Promise<CloudInventory> {
    return { instances: Object.values(this.pool.read().leases).map((lease) => this.observation(lease)), holders: [] };
  }

  async dispose(): Promise<void> {
    // The pool holds nothing besides its hosts.
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    const ids = new Set(machineIds);
    return Object.values(this.pool.read().leases)
      .filter((lease) => ids.has(lease.machineId))
      .map((lease) => this.observation(lease));
  }

  /** How many of the template's hosts are free now (the pool file is readable, the hosts listed). */
  async preflight(template: Template): Promise<PreflightResult> {
    const hosts = hostsOf(template);
    const state: PoolState = this.pool.read();
    const free = hosts.filter((host) => state.leases[host] === undefined).length;
    const problems =
      free === 0 ? [{ severity: 'warn' as const, field: 'providerSettings.hosts', message: `all ${hosts.length} host(s) are handed out` }] : [];
    return { checked: [`static pool: ${free} of ${hosts.length} host(s) free`], problems };
  }

  private observation(lease: Lease): MachineObservation {
    return {
      machineId: lease.machineId,
      requestId: lease.requestId,
      templateId: lease.templateId,
      name: lease.host,
      privateIpAddress: /^\d{1,3}(\.\d{1,3}){3}$/.test(lease.host) ? lease.host : '',
      publicIpAddress: '',
      launchTime: lease.since,
      state: 'running',
      instanceType: lease.instanceType,
      priceType: 'ondemand',
    };
  }
}

/** The template's hosts (`providerSettings.hosts`, checked when the configuration loaded). */
function hostsOf(template: Template): readonly string[] {
  const hosts = template.providerSettings?.['hosts'];
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' lists no hosts (providerSettings.hosts)`, {
      details: { templateId: template.templateId, field: 'providerSettings.hosts' },
    });
  }
  return hosts as readonly string[];
}

function instanceTypeOf(template: Template): string {
  const type = template.providerSettings?.['instanceType'];
  return typeof type === 'string' ? type : 'static';
}

function machineIdOf(host: string, requestId: string): string {
  return `sp-${host}-${createHash('sha256').update(`${host}\n${requestId}`).digest('hex').slice(0, 10)}`;
}
