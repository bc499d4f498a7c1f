import type { Machine, MachineResult } from '../domain/machine/machine';
import type { Request, RequestKind, RequestStatus } from '../domain/request/request';
import type { Template, TemplateAttributes } from '../domain/template/template';

/** getAvailableTemplates: one entry per template, in configured order. */
export interface AvailableTemplate {
  readonly template: Template;
  /** Configured attributes with `type`/`ncpus`/`ncores`/`nram` derived from the instance type. */
  readonly attributes: TemplateAttributes;
  /** How many more machines can be had now (maxNumber minus held); -1 when unlimited. */
  readonly availableNumber: number;
  /** Why the template cannot be offered now (then `availableNumber` is 0). */
  readonly problem?: string;
}

/** requestMachines. */
export interface RequestMachinesInput {
  readonly templateId: string;
  readonly machineCount: number;
  /** HF's `rc_account` (see {@link Request.rcAccount}); checked with {@link RC_ACCOUNT_PATTERN}. */
  readonly rcAccount?: string;
}
/** requestMachines: the new request and what its first launch made. */
export interface RequestMachinesOutput {
  readonly request: Request;
  readonly template: Template;
  /** Machines known right after the launch call (may be fewer than asked, even none). */
  readonly machines: readonly Machine[];
}

/** A machine as one request reports it. */
export interface MachineReport {
  readonly machine: Machine;
  /** Result within this request (acquire: the machine's result; return: terminated = succeed). */
  readonly result: MachineResult;
  readonly message: string;
}

/** getRequestStatus: one entry per asked id, in input order (duplicates repeated). */
export interface RequestReport {
  readonly requestId: string;
  /** Undefined when the id is unknown. */
  readonly kind?: RequestKind;
  readonly found: boolean;
  readonly status: RequestStatus;
  readonly message: string;
  readonly machines: readonly MachineReport[];
  /** The acquire request's template, when it still exists in the configuration. */
  readonly template?: Template;
}

/** A machine HF names: by id, or by name when the id is missing. */
export interface MachineRef {
  readonly machineId?: string;
  readonly name?: string;
}

/** requestReturnMachines: HF names machines, or (guide dialect) an acquire request to return whole. */
export type ReturnMachinesInput = { readonly machines: readonly MachineRef[] } | { readonly requestId: string };

/** requestReturnMachines: the new return request and what it found of the named machines. */
export interface ReturnMachinesOutput {
  readonly request: Request;
  /** Machines this return request terminates (alive ones). */
  readonly machines: readonly Machine[];
  /** Machines already being returned by an earlier request (not an error). */
  readonly alreadyReturning: readonly Machine[];
  /** References that match no machine of this provider. */
  readonly unknown: readonly MachineRef[];
}

/** getReturnRequests: a machine HF should give back because the cloud is taking it. */
export interface ReclaimReport {
  readonly machineId: string;
  readonly name: string;
  /** Seconds left before the cloud takes it (0 when already gone). */
  readonly gracePeriod: number;
  readonly reason: string;
}
