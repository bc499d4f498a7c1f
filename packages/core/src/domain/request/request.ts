import { returnResult, unitsOf, type Machine } from '../machine/machine';
import type { ProviderApi } from '../template/template';

/** An acquire request (`req-…`, machines HF asked for) or a return request (`ret-…`, machines HF gives back). */
export type RequestKind = 'acquire' | 'return';
/** HF's request status. */
export type RequestStatus = 'running' | 'complete' | 'complete_with_error';

/** The prefix of acquire request ids. */
export const ACQUIRE_PREFIX = 'req-';
/** The prefix of return request ids. */
export const RETURN_PREFIX = 'ret-';

/**
 * An acquire (`req-…`) or return (`ret-…`) request. Machines are stored separately and point at
 * their request (`Machine.requestId` / `Machine.returnRequestId`).
 */
export interface Request {
  readonly requestId: string;
  readonly kind: RequestKind;
  /** Acquire: the template; return: undefined. */
  readonly templateId?: string;
  readonly providerApi?: ProviderApi;
  /** Acquire: capacity wanted (machines, or units when the template weighs its types); return: machines to return. */
  readonly machineCount: number;
  readonly status: RequestStatus;
  readonly message: string;
  /** Acquire: cloud launch calls claimed so far (each gets its own idempotency token). */
  readonly launchAttempts: number;
  /** Acquire: launch attempts in a row that brought no machine. */
  readonly failedAttempts: number;
  /**
   * Acquire: the launch attempt `launchAttempts` is in flight (claimed, its outcome not recorded
   * yet). While the lease lasts no other call launches for the request; once it ends without the
   * outcome recorded (the caller crashed or was killed) the next poll replays the same attempt,
   * with the same count and idempotency token, after looking for what it made.
   */
  readonly launchLease?: LaunchLease;
  /** Acquire: when HF first asked for the request's status (epoch ms); unset until then. */
  readonly firstPolledAt?: number;
  /**
   * Set once the request is over and holds nothing alive in the cloud (epoch ms): an acquire
   * request that ended and whose every machine is returned, failed and terminated, or gone; a
   * return request that completed. Only closed requests expire (retention, DynamoDB TTL).
   */
  readonly closedAt?: number;
  /**
   * Acquire: HF's `rc_account` for the request (the account its capacity is charged to), when HF
   * sent one: tagged `RC_ACCOUNT` on everything launched for it and exported to its user data.
   */
  readonly rcAccount?: string;
  /** Adapter bookkeeping (fleet id, group name…), opaque to core. */
  readonly providerData: Readonly<Record<string, string>>;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Optimistic-concurrency version; 0 for a request never stored. */
  readonly version: number;
}

/** A claimed launch attempt whose outcome is not recorded yet. */
export interface LaunchLease {
  /** Epoch ms after which the claim is void (the claiming call must have ended by then). */
  readonly until: number;
  /** The claiming process (see the ProcessIdentity port). */
  readonly holder: string;
  /** Capacity the attempt asked for: a replay asks for exactly this (same token, same parameters). */
  readonly count: number;
}

/** The kind of request an id names, by its prefix; undefined for an id of neither kind. */
export function requestKindOf(requestId: string): RequestKind | undefined {
  if (requestId.startsWith(ACQUIRE_PREFIX)) return 'acquire';
  if (requestId.startsWith(RETURN_PREFIX)) return 'return';
  return undefined;
}

/** An acquire request's status and message, as HF is to see them. */
export interface AcquireProgress {
  readonly status: RequestStatus;
  readonly message: string;
}

/** When an acquire request stops seeking capacity. */
export interface AcquirePolicy {
  /** Launch attempts in a row without a machine after which the request gives up. */
  readonly maxFailedAttempts: number;
  /** Epoch ms now, and how long a request may keep seeking capacity (ms). */
  readonly now: number;
  readonly capacityTimeoutMs: number;
}

/** How much capacity (machines or units) an acquire request still has to launch. */
export function shortfall(request: Request, machines: readonly Machine[]): number {
  const usable = unitsOf(machines.filter((m) => m.result !== 'fail'));
  return Math.max(0, request.machineCount - usable);
}

/** Whether an acquire request may still try to launch what it lacks. */
export function maySeekCapacity(request: Request, policy: AcquirePolicy): boolean {
  return (
    request.status === 'running' && request.failedAttempts < policy.maxFailedAttempts && policy.now - request.createdAt < policy.capacityTimeoutMs
  );
}

/**
 * Derives an acquire request's status from its machines: `running` while any machine is
 * executing or capacity is still sought; `complete` when all wanted machines succeeded;
 * `complete_with_error` when it ended with fewer, with the reason.
 */
export function deriveAcquireStatus(request: Request, machines: readonly Machine[], stillSeeking: boolean, lastError?: string): AcquireProgress {
  const succeeded = unitsOf(machines.filter((m) => m.result === 'succeed'));
  const executing = machines.filter((m) => m.result === 'executing').length;
  const failed = machines.filter((m) => m.result === 'fail');
  if (succeeded >= request.machineCount) return { status: 'complete', message: '' };
  if (executing > 0 || (stillSeeking && shortfall(request, machines) > 0)) {
    return { status: 'running', message: lastError ?? '' };
  }
  const reasons = [...new Set(failed.map((m) => m.message).filter(Boolean))];
  if (lastError) reasons.unshift(lastError);
  const weighted = machines.some((m) => m.weight !== 1);
  const summary = `${succeeded} of ${request.machineCount} ${weighted ? 'capacity units' : 'machines'} started`;
  return {
    status: 'complete_with_error',
    message: reasons.length ? `${summary}: ${reasons.join('; ')}` : summary,
  };
}

/** A return request is complete when every machine in it is terminated or gone. */
export function deriveReturnStatus(machines: readonly Machine[]): AcquireProgress {
  const pending = machines.filter((m) => returnResult(m) !== 'succeed').length;
  if (pending === 0) return { status: 'complete', message: '' };
  return { status: 'running', message: `${pending} of ${machines.length} machines still terminating` };
}
