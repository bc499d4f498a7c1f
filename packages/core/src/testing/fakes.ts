import type { MachineObservation, MachineState } from '../domain/machine/machine';
import type { Machine } from '../domain/machine/machine';
import { instanceWeight, type ProviderApi, type Template } from '../domain/template/template';
import type { Request } from '../domain/request/request';
import { HostFactoryError } from '../errors';
import type {
  AcquireInput,
  AcquireResult,
  CapacityHolder,
  CapacityProvider,
  CloudInventory,
  CapacityProviders,
  DescribeInput,
  DescribeResult,
  Fulfilment,
} from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { IdGenerator } from '../ports/id-generator';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '../ports/instance-type-catalog';
import type { TemplateSource } from '../ports/template-source';

/** A clock that only moves when told. */
export class FixedClock implements Clock {
  constructor(private current = 1_700_000_000_000) {}
  now(): number {
    return this.current;
  }
  /** Moves the time on by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
  /** Sets the time to epoch ms `ms`. */
  set(ms: number): void {
    this.current = ms;
  }
}

/** `req-00000001`, `ret-00000002`, … */
export class SequentialIdGenerator implements IdGenerator {
  private counter = 0;
  next(prefix: 'req-' | 'ret-'): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(8, '0')}`;
  }
}

export class StaticTemplateSource implements TemplateSource {
  constructor(public templates: Template[]) {}
  async list(): Promise<readonly Template[]> {
    return this.templates;
  }
}

export class StaticInstanceTypeCatalog implements InstanceTypeCatalog {
  calls = 0;
  failWith?: Error;
  constructor(private readonly infos: readonly InstanceTypeInfo[]) {}
  async describe(instanceTypes: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
    this.calls += 1;
    if (this.failWith) throw this.failWith;
    return new Map(this.infos.filter((i) => instanceTypes.includes(i.instanceType)).map((i) => [i.instanceType, i]));
  }
}

/** An instance of the in-memory cloud. */
export interface FakeInstance {
  observation: MachineObservation;
  token: string;
  /** Launched by someone else (another provider instance): not in this provider's inventory. */
  foreign?: boolean;
}

/** How the in-memory cloud behaves. */
export interface InMemoryCapacityProviderOptions {
  readonly api?: ProviderApi;
  /**
   * `fleet`: like a request/maintain fleet or a group: acquire only sets a target; instances
   * appear on later describes (up to `launchLimit` each), reported `fulfilling` until the target
   * is met. Default `direct`: acquire launches at once (RunInstances, instant fleets).
   */
  readonly mode?: 'direct' | 'fleet';
  /** Most instances one acquire call launches (like moto, which launches only MinCount). */
  readonly launchLimit?: number;
  /** State of newly launched instances. */
  readonly initialState?: MachineState;
  readonly clock?: Clock;
}

/**
 * An in-memory cloud: instances launched per (request, attempt) token exactly once, states that
 * tests move by hand, failures injected per operation. Records every call.
 */
export class InMemoryCapacityProvider implements CapacityProvider {
  readonly api: ProviderApi;
  readonly instances = new Map<string, FakeInstance>();
  readonly calls: { op: FakeOperation; input: unknown }[] = [];
  /** Errors thrown by the next calls of an operation, in order. */
  readonly failures: { acquire: Error[]; describe: Error[]; release: Error[]; inventory: Error[] } = {
    acquire: [],
    describe: [],
    release: [],
    inventory: [],
  };
  /**
   * Runs inside `acquire` once the launch is done and before it answers (e.g. to hold the call
   * while other calls overlap it).
   */
  onAcquire?: (input: AcquireInput) => Promise<void>;
  /** Fleet mode: instances still to launch per request, and why they are late (if set). */
  readonly targets = new Map<string, { input: AcquireInput; remaining: number }>();
  fleetReason?: string;
  launchLimit: number;
  private sequence = 0;
  private readonly tokens = new Map<string, string[]>();

  constructor(private readonly options: InMemoryCapacityProviderOptions = {}) {
    this.api = options.api ?? 'RunInstances';
    this.launchLimit = options.launchLimit ?? Number.MAX_SAFE_INTEGER;
  }

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    this.calls.push({ op: 'acquire', input });
    const failure = this.failures.acquire.shift();
    if (failure) throw failure;
    const token = `${input.request.requestId}:${input.attempt}`;
    const existing = this.tokens.get(token);
    if (existing) {
      return { machines: existing.map((id) => (this.instances.get(id) as FakeInstance).observation) };
    }
    const weight = instanceWeight(input.template, input.template.vmType ?? 't3.medium');
    const wanted = Math.ceil(input.count / weight);
    if (this.options.mode === 'fleet') {
      this.tokens.set(token, []);
      this.targets.set(input.request.requestId, { input, remaining: wanted });
      return { machines: [], providerData: { fleetId: `fleet-${input.request.requestId}` } };
    }
    const count = Math.min(wanted, this.launchLimit);
    const ids = this.launch(input, count);
    this.tokens.set(token, ids);
    await this.onAcquire?.(input);
    return {
      machines: ids.map((id) => (this.instances.get(id) as FakeInstance).observation),
      shortfallReason: count < wanted ? `launched ${count} of ${wanted}` : undefined,
    };
  }

  private launch(input: AcquireInput, count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      this.sequence += 1;
      const machineId = `i-${String(this.sequence).padStart(17, '0')}`;
      const ip = `10.0.${Math.floor(this.sequence / 250)}.${(this.sequence % 250) + 1}`;
      const observation: MachineObservation = {
        machineId,
        requestId: input.request.requestId,
        templateId: input.template.templateId,
        name: `ip-${ip.replace(/\./g, '-')}.ec2.internal`,
        privateIpAddress: ip,
        publicIpAddress: '',
        launchTime: Math.floor((this.options.clock?.now() ?? Date.now()) / 1000),
        state: this.options.initialState ?? 'pending',
        instanceType: input.template.vmType ?? 't3.medium',
        priceType: input.template.priceType === 'spot' ? 'spot' : 'ondemand',
        providerApi: this.api,
      };
      this.instances.set(machineId, { observation, token: `${input.request.requestId}:${input.attempt}` });
      ids.push(machineId);
    }
    return ids;
  }

  async describe(input: DescribeInput): Promise<DescribeResult> {
    this.calls.push({ op: 'describe', input });
    const failure = this.failures.describe.shift();
    if (failure) throw failure;
    const requestIds = new Set(input.requests.map((r) => r.requestId));
    const fulfilment = new Map<string, Fulfilment>();
    for (const requestId of requestIds) {
      const target = this.targets.get(requestId);
      if (!target) continue;
      const count = Math.min(target.remaining, this.launchLimit);
      this.launch(target.input, count);
      target.remaining -= count;
      fulfilment.set(requestId, target.remaining > 0 ? { state: 'fulfilling', reason: this.fleetReason } : { state: 'settled' });
    }
    const observations = new Map<string, MachineObservation>();
    for (const { observation } of this.instances.values()) {
      if (observation.requestId && requestIds.has(observation.requestId)) observations.set(observation.machineId, observation);
    }
    const missing: string[] = [];
    for (const machine of input.machines) {
      const instance = this.instances.get(machine.machineId);
      if (instance) observations.set(machine.machineId, instance.observation);
      else missing.push(machine.machineId);
    }
    return { observations: [...observations.values()], missing, ...(fulfilment.size ? { fulfilment } : {}) };
  }

  async release(machines: readonly Machine[], requests: readonly Request[] = []): Promise<void> {
    this.calls.push({ op: 'release', input: { machineIds: machines.map((m) => m.machineId), requestIds: requests.map((r) => r.requestId) } });
    const failure = this.failures.release.shift();
    if (failure) throw failure;
    for (const machine of machines) {
      const instance = this.instances.get(machine.machineId);
      if (instance && instance.observation.state !== 'terminated') {
        instance.observation = { ...instance.observation, state: 'shutting-down' };
      }
    }
  }

  async abandon(request: Request): Promise<void> {
    this.calls.push({ op: 'abandon', input: request.requestId });
    this.targets.delete(request.requestId);
  }

  /** Every instance of this provider that is not ending, and (fleet mode) every fleet still filling. */
  async inventory(): Promise<CloudInventory> {
    this.calls.push({ op: 'inventory', input: undefined });
    const failure = this.failures.inventory.shift();
    if (failure) throw failure;
    const instances = [...this.instances.values()].filter((i) => !i.foreign && !isEnding(i.observation.state)).map((i) => i.observation);
    const holders: CapacityHolder[] = [...this.targets.entries()].map(([requestId]) => ({
      api: this.api,
      kind: 'fake fleet',
      id: `fleet-${requestId}`,
      requestId,
      instanceIds: instances.filter((o) => o.requestId === requestId).map((o) => o.machineId),
    }));
    return { instances, holders };
  }

  /** Removes fleets with their instances. */
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    this.calls.push({ op: 'dispose', input: holders.map((h) => h.id) });
    for (const holder of holders) {
      if (holder.requestId) this.targets.delete(holder.requestId);
      for (const id of holder.instanceIds) {
        const instance = this.instances.get(id);
        if (instance) instance.observation = { ...instance.observation, state: 'shutting-down' };
      }
    }
  }

  /** The instances among `machineIds` that are this provider's. */
  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    this.calls.push({ op: 'lookup', input: [...machineIds] });
    return machineIds.flatMap((id) => {
      const instance = this.instances.get(id);
      return instance && !instance.foreign ? [instance.observation] : [];
    });
  }

  /** Moves an instance to a state, as the cloud would. */
  setState(machineId: string, state: MachineState, stateReason?: string): void {
    const instance = this.instances.get(machineId);
    if (!instance) throw new HostFactoryError('NOT_FOUND', `no fake instance ${machineId}`);
    instance.observation = { ...instance.observation, state, stateReason };
  }

  /** Every instance to a state (e.g. all pending ones to running). */
  setAll(from: MachineState, to: MachineState): void {
    for (const [id, instance] of this.instances) if (instance.observation.state === from) this.setState(id, to);
  }

  /** Changes what the cloud shows of an instance (its state, addresses...). */
  update(machineId: string, patch: Partial<MachineObservation>): void {
    const instance = this.instances.get(machineId);
    if (!instance) throw new HostFactoryError('NOT_FOUND', `no fake instance ${machineId}`);
    instance.observation = { ...instance.observation, ...patch };
  }

  /**
   * An instance the cloud runs without this provider having asked (or without it hearing back);
   * `foreign`: another provider instance's, which this one must never take.
   */
  addInstance(observation: MachineObservation, options: { foreign?: boolean } = {}): void {
    this.instances.set(observation.machineId, { observation, token: `outside:${observation.machineId}`, foreign: options.foreign });
  }

  /** The cloud forgets an instance entirely. */
  forget(machineId: string): void {
    this.instances.delete(machineId);
  }

  /** How many times the operation was called. */
  count(op: FakeOperation): number {
    return this.calls.filter((c) => c.op === op).length;
  }
}

/** An operation of the in-memory provider, as `calls` and `count` name it. */
export type FakeOperation = 'acquire' | 'describe' | 'release' | 'abandon' | 'inventory' | 'dispose' | 'lookup';

function isEnding(state: MachineState): boolean {
  return state === 'shutting-down' || state === 'terminated';
}

/** Providers by API, for tests. */
export class StaticCapacityProviders implements CapacityProviders {
  private readonly byApi: Map<ProviderApi, CapacityProvider>;
  constructor(providers: readonly CapacityProvider[]) {
    this.byApi = new Map(providers.map((p) => [p.api, p]));
  }
  forApi(api: ProviderApi): CapacityProvider {
    const provider = this.byApi.get(api);
    if (!provider) throw new HostFactoryError('TEMPLATE_INVALID', `No capacity provider for providerApi '${api}'`);
    return provider;
  }
}
