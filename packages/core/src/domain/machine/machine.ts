import type { ProviderApi } from '../template/template';

/** The cloud's view of an instance, as HF's `status` field shows it. */
export type MachineState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
/** Every {@link MachineState}. */
export const MACHINE_STATES: readonly MachineState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];

/** HF's per-machine result within a request. */
export type MachineResult = 'executing' | 'succeed' | 'fail';

/** How a machine was bought: on demand or spot. */
export type MachinePriceType = 'ondemand' | 'spot';

/** A cloud event announcing that the cloud will take an instance back. */
export interface LifecycleNotice {
  readonly kind: 'spot-interruption' | 'rebalance-recommendation';
  /** When the cloud takes the instance, seconds since the epoch (if known). */
  readonly deadline?: number;
}

/**
 * What a capacity provider sees of one instance right now. Produced by adapters, consumed by
 * the use cases; carries no storage bookkeeping.
 */
export interface MachineObservation {
  readonly machineId: string;
  /** The acquire request the instance was launched for (from its tags), when known. */
  readonly requestId?: string;
  readonly templateId?: string;
  /** The capacity API that made the instance (from its tags), when known. */
  readonly providerApi?: ProviderApi;
  readonly name: string;
  readonly privateIpAddress: string;
  readonly publicIpAddress: string;
  /** Seconds since the epoch. */
  readonly launchTime: number;
  readonly state: MachineState;
  /** The cloud's reason for the current state (e.g. EC2's state reason message). */
  readonly stateReason?: string;
  readonly instanceType: string;
  readonly priceType: MachinePriceType;
  readonly cloudHostId?: string;
  readonly notice?: LifecycleNotice;
}

/** A machine the provider holds (stored), belonging to one acquire request. */
export interface Machine {
  readonly machineId: string;
  /** The acquire request that launched it. */
  readonly requestId: string;
  readonly templateId: string;
  readonly providerApi: ProviderApi;
  /** Set once HF asked to return the machine. */
  readonly returnRequestId?: string;
  readonly name: string;
  readonly privateIpAddress: string;
  readonly publicIpAddress: string;
  /** Seconds since the epoch. */
  readonly launchTime: number;
  readonly status: MachineState;
  /** Result within the acquire request; `succeed` once handed to HF, and it stays so. */
  readonly result: MachineResult;
  readonly message: string;
  readonly priceType: MachinePriceType;
  readonly instanceType: string;
  /** HF tag string (`k=v;k2=v2`). */
  readonly instanceTags: string;
  readonly cloudHostId?: string;
  /** Capacity units the machine counts for (its instance type's weight in `vmTypes`; 1 without weights). */
  readonly weight: number;
  /** True once the cloud no longer knows the instance. */
  readonly gone: boolean;
  readonly notice?: LifecycleNotice;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Optimistic-concurrency version; 0 for a machine never stored. */
  readonly version: number;
}

const ENDED: ReadonlySet<MachineState> = new Set<MachineState>(['stopping', 'stopped', 'shutting-down', 'terminated']);

/** True for states from which an instance never becomes usable by HF again. */
export function isEndedState(state: MachineState): boolean {
  return ENDED.has(state);
}

/** A machine HF holds or will hold: not failed, not returned, not gone. */
export function isMachineHeld(machine: Machine): boolean {
  return machine.result !== 'fail' && machine.returnRequestId === undefined && !machine.gone;
}

/**
 * True once nothing of the machine is left for anyone: gone from the cloud, or terminated after
 * it was returned or failed. A request whose machines are all finished can be closed.
 */
export function isMachineFinished(machine: Machine): boolean {
  if (machine.gone) return true;
  return machine.status === 'terminated' && (machine.returnRequestId !== undefined || machine.result === 'fail');
}

/** A machine that still counts against its template's `maxNumber`. */
export function countsAgainstQuota(machine: Machine): boolean {
  if (machine.result === 'fail' || machine.gone) return false;
  if (machine.returnRequestId !== undefined && machine.status === 'terminated') return false;
  return true;
}

/** Result of a machine within its return request: done once terminated or gone. */
export function returnResult(machine: Machine): MachineResult {
  return machine.gone || machine.status === 'terminated' ? 'succeed' : 'executing';
}

/** What applying a cloud observation to a machine needs besides the observation. */
export interface ObservationContext {
  /** Epoch ms. */
  readonly now: number;
  /** A machine pending longer than this fails (AWS_INSTANCE_PENDING_TIMEOUT_SEC). */
  readonly pendingTimeoutSec: number;
}

/** What a new machine inherits from its acquire request and template. */
export interface MachineOwner {
  readonly requestId: string;
  readonly templateId: string;
  readonly providerApi: ProviderApi;
  readonly instanceTags: string;
  /** Units per instance type (`vmTypes` weights); missing types weigh 1. */
  readonly weights?: Readonly<Record<string, number>>;
}

/**
 * A new machine for an acquire request, from the cloud's first sight of it.
 */
export function newMachine(observation: MachineObservation, owner: MachineOwner, context: ObservationContext): Machine {
  const base: Machine = {
    machineId: observation.machineId,
    requestId: owner.requestId,
    templateId: owner.templateId,
    providerApi: owner.providerApi,
    name: '',
    privateIpAddress: '',
    publicIpAddress: '',
    launchTime: observation.launchTime,
    status: 'pending',
    result: 'executing',
    message: '',
    priceType: observation.priceType,
    instanceType: observation.instanceType,
    instanceTags: owner.instanceTags,
    weight: positiveOr1(owner.weights?.[observation.instanceType]),
    gone: false,
    createdAt: context.now,
    updatedAt: context.now,
    version: 0,
  };
  return observeMachine(base, observation, context);
}

/**
 * Applies what the cloud sees now to a stored machine, deriving its acquire result:
 * `succeed` when running (and forever after), `executing` while pending, `fail` when it stopped
 * or terminated before being handed over, or stayed pending past the timeout.
 */
export function observeMachine(machine: Machine, observation: MachineObservation, context: ObservationContext): Machine {
  let result = machine.result;
  let message = machine.message;
  if (result === 'executing') {
    if (observation.state === 'running') {
      result = 'succeed';
      message = '';
    } else if (isEndedState(observation.state)) {
      result = 'fail';
      message = observation.stateReason
        ? `Instance ${observation.state} before it was ready: ${observation.stateReason}`
        : `Instance ${observation.state} before it was ready`;
    } else if (pendingTooLong(observation.launchTime, context)) {
      result = 'fail';
      message = `Instance still pending after ${context.pendingTimeoutSec} s (AWS_INSTANCE_PENDING_TIMEOUT_SEC)`;
    }
  }
  return {
    ...machine,
    name: observation.name || observation.privateIpAddress || machine.name,
    privateIpAddress: observation.privateIpAddress || machine.privateIpAddress,
    publicIpAddress: observation.publicIpAddress || machine.publicIpAddress,
    launchTime: observation.launchTime || machine.launchTime,
    status: observation.state,
    result,
    message,
    priceType: observation.priceType,
    instanceType: observation.instanceType || machine.instanceType,
    cloudHostId: observation.cloudHostId ?? machine.cloudHostId,
    // A notice stays once given (events are delivered once); a newer one from the cloud wins.
    notice: observation.notice ?? machine.notice,
    gone: false,
    updatedAt: context.now,
  };
}

/** The cloud no longer knows the instance: it is gone (terminated long ago or never existed). */
export function markGone(machine: Machine, context: ObservationContext): Machine {
  const failed = machine.result === 'executing';
  return {
    ...machine,
    status: 'terminated',
    gone: true,
    result: failed ? 'fail' : machine.result,
    message: failed ? 'Instance no longer exists' : machine.message,
    updatedAt: context.now,
  };
}

function positiveOr1(value: number | undefined): number {
  return typeof value === 'number' && value > 0 ? value : 1;
}

/** Capacity units of machines (their weights added). */
export function unitsOf(machines: readonly Machine[]): number {
  return machines.reduce((sum, m) => sum + m.weight, 0);
}

function pendingTooLong(launchTime: number, context: ObservationContext): boolean {
  if (!launchTime || context.pendingTimeoutSec <= 0) return false;
  return context.now / 1000 - launchTime > context.pendingTimeoutSec;
}

/** True when two machines differ in anything HF or the store cares about. */
export function machineChanged(before: Machine, after: Machine): boolean {
  return (
    before.status !== after.status ||
    before.result !== after.result ||
    before.message !== after.message ||
    before.name !== after.name ||
    before.privateIpAddress !== after.privateIpAddress ||
    before.publicIpAddress !== after.publicIpAddress ||
    before.gone !== after.gone ||
    before.returnRequestId !== after.returnRequestId ||
    before.notice?.kind !== after.notice?.kind ||
    before.notice?.deadline !== after.notice?.deadline
  );
}
