import {
  HostFactoryError,
  formatInstanceTags,
  toHostFactoryError,
  type AttributeKind,
  type AvailableTemplate,
  type ErrorCode,
  type FleetType,
  type MachineReport,
  type MachineResult,
  type MachineState,
  type ProviderApi,
  type ReclaimReport,
  type RequestMachinesOutput,
  type RequestReport,
  type RequestStatus,
  type ReturnMachinesOutput,
  type TemplateAttributes,
} from '@open-hostfactory/core';
import type { Dialect } from './dialect';

// Answer documents, one interface per shape. Key order in the objects built below follows the
// examples of docs/hostfactory-wire-format.md, since people read these answers.

export type WireAttributes = Record<string, [AttributeKind, string]>;

export interface WireTemplate {
  templateId: string;
  maxNumber: number;
  availableNumber: number;
  attributes: WireAttributes;
  vmType: string;
  priceType: string;
  instanceTags: string;
  imageId: string;
  /** One subnet, or several joined by commas (IBM's multi-subnet form). */
  subnetId?: string;
  vmTypes?: Record<string, number>;
  providerApi: ProviderApi;
  fleetType?: FleetType;
  /** Why the template cannot be offered now (its availableNumber is then 0); HF ignores it. */
  message?: string;
}
export interface TemplatesDocument {
  templates: WireTemplate[];
  message: string;
}

export interface HfRequestMachinesDocument {
  requestId: string;
  message: string;
}
export interface GuideRequestMachinesDocument {
  requestId: string;
  message: string;
  machines: { machineId: string; status: 'pending'; attributes: WireAttributes }[];
}

export interface HfMachine {
  machineId: string;
  name: string;
  result: MachineResult;
  status: MachineState;
  privateIpAddress: string;
  publicIpAddress: string;
  launchtime: number;
  message: string;
  priceType: string;
  instanceType: string;
  instanceTags: string;
  /** The wire shows `null` when absent (the one place the plugin prints null). */
  cloudHostId: string | null;
}
export interface HfRequest {
  requestId: string;
  status: RequestStatus;
  message: string;
  machines: HfMachine[];
}
export interface HfRequestStatusDocument {
  requests: HfRequest[];
}

export type GuideRequestStatus = 'running' | 'completed' | 'completed_with_error';
export interface GuideMachine {
  machineId: string;
  name: string;
  result: MachineResult;
  status: MachineState;
  privateIpAddress: string;
  ipAddress: string;
  publicIpAddress: string;
  launchtime: number;
  message: string;
  instanceType: string;
  priceType: string;
  attributes?: WireAttributes;
}
export interface GuideRequestStatusDocument {
  requestId: string;
  status: GuideRequestStatus;
  message: string;
  machines: GuideMachine[];
}

export interface HfReturnMachinesDocument {
  requestId: string;
  message: string;
}
export interface GuideReturnMachinesDocument {
  requestId: string;
  returnRequestId: string;
  status: 'terminating';
  machines: { machineId: string; status: 'terminating' }[];
}

export interface ReturnRequestsDocument {
  status: 'complete';
  message: string;
  requests: { machine: string; machineId: string; gracePeriod: number }[];
}

export interface ErrorDocument {
  message: string;
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

export const TEMPLATES_MESSAGE = 'Get available templates success.';
export const REQUEST_MACHINES_MESSAGE = 'Request VM success from AWS.';
export const RETURN_MACHINES_MESSAGE = 'Delete VM success.';
export const NO_ACTIVE_VM_MESSAGE = 'No Active VM.';
export const RETURN_REQUESTS_MESSAGE = 'Instances marked for termination retrieved successfully.';
/** Message of a failed machine whose record carries none (HF requires one on `fail`). */
export const FAILED_MACHINE_MESSAGE = 'Instance failed';

/** getAvailableTemplates answer, templates in the given (configured) order. */
export function formatTemplates(list: readonly AvailableTemplate[]): TemplatesDocument {
  return {
    templates: list.map(({ template, attributes, availableNumber, problem }): WireTemplate => ({
      templateId: template.templateId,
      maxNumber: template.maxNumber,
      availableNumber,
      attributes: wireAttributes(attributes),
      vmType: template.vmType ?? Object.keys(template.vmTypes ?? {})[0] ?? '',
      priceType: template.priceType,
      instanceTags: formatInstanceTags(template.instanceTags),
      imageId: template.imageId,
      ...(template.subnetIds.length > 0 ? { subnetId: template.subnetIds.join(',') } : {}),
      ...(template.vmTypes && Object.keys(template.vmTypes).length > 0 ? { vmTypes: { ...template.vmTypes } } : {}),
      providerApi: template.providerApi,
      ...(template.fleetType ? { fleetType: template.fleetType } : {}),
      ...(problem ? { message: problem } : {}),
    })),
    message: TEMPLATES_MESSAGE,
  };
}

/** requestMachines answer. */
export function formatRequestMachines(out: RequestMachinesOutput, dialect: 'hf'): HfRequestMachinesDocument;
export function formatRequestMachines(out: RequestMachinesOutput, dialect: 'guide'): GuideRequestMachinesDocument;
export function formatRequestMachines(out: RequestMachinesOutput, dialect: Dialect): HfRequestMachinesDocument | GuideRequestMachinesDocument;
export function formatRequestMachines(out: RequestMachinesOutput, dialect: Dialect): HfRequestMachinesDocument | GuideRequestMachinesDocument {
  const base = { requestId: out.request.requestId, message: REQUEST_MACHINES_MESSAGE };
  if (dialect === 'hf') return base;
  return {
    ...base,
    machines: out.machines.map((machine) => ({
      machineId: machine.machineId,
      status: 'pending' as const,
      attributes: wireAttributes(out.template.attributes),
    })),
  };
}

/**
 * getRequestStatus answer. HF: one entry per report, in order; an unknown id is answered
 * `complete_with_error` with no machines. Guide: the first report at top level, statuses
 * spelt `completed` / `completed_with_error`.
 * @throws HostFactoryError INTERNAL_ERROR for the guide dialect when there is no report.
 */
export function formatRequestStatus(reports: readonly RequestReport[], dialect: 'hf'): HfRequestStatusDocument;
export function formatRequestStatus(reports: readonly RequestReport[], dialect: 'guide'): GuideRequestStatusDocument;
export function formatRequestStatus(reports: readonly RequestReport[], dialect: Dialect): HfRequestStatusDocument | GuideRequestStatusDocument;
export function formatRequestStatus(reports: readonly RequestReport[], dialect: Dialect): HfRequestStatusDocument | GuideRequestStatusDocument {
  if (dialect === 'hf') return { requests: reports.map(hfRequest) };
  const report = reports[0];
  if (report === undefined) {
    throw new HostFactoryError('INTERNAL_ERROR', 'No request to report in the guide dialect');
  }
  if (!report.found) {
    return {
      requestId: report.requestId,
      status: 'completed_with_error',
      message: notFoundMessage(report),
      machines: [],
    };
  }
  return {
    requestId: report.requestId,
    status: GUIDE_STATUS[report.status],
    message: report.message,
    machines: report.machines.map((entry) => guideMachine(entry, report)),
  };
}

/**
 * requestReturnMachines answer. HF: the return request id, "No Active VM." when no machine
 * was still alive. Guide: the acquire request id (as asked) beside the return request id.
 */
export function formatReturnMachines(out: ReturnMachinesOutput, dialect: 'hf'): HfReturnMachinesDocument;
export function formatReturnMachines(out: ReturnMachinesOutput, dialect: 'guide', acquireRequestId?: string): GuideReturnMachinesDocument;
export function formatReturnMachines(
  out: ReturnMachinesOutput,
  dialect: Dialect,
  acquireRequestId?: string,
): HfReturnMachinesDocument | GuideReturnMachinesDocument;
export function formatReturnMachines(
  out: ReturnMachinesOutput,
  dialect: Dialect,
  acquireRequestId?: string,
): HfReturnMachinesDocument | GuideReturnMachinesDocument {
  if (dialect === 'hf') {
    const base = out.machines.length > 0 ? RETURN_MACHINES_MESSAGE : NO_ACTIVE_VM_MESSAGE;
    const strangers = out.unknown.map((ref) => ref.machineId ?? ref.name ?? '').filter((id) => id !== '');
    return {
      requestId: out.request.requestId,
      message: strangers.length > 0 ? `${base} Not machines of this provider, left alone: ${strangers.join(', ')}.` : base,
    };
  }
  return {
    requestId: acquireRequestId ?? out.machines[0]?.requestId ?? '',
    returnRequestId: out.request.requestId,
    status: 'terminating',
    machines: out.machines.map((machine) => ({ machineId: machine.machineId, status: 'terminating' as const })),
  };
}

/** getReturnRequests answer. */
export function formatReturnRequests(list: readonly ReclaimReport[]): ReturnRequestsDocument {
  return {
    status: 'complete',
    message: RETURN_REQUESTS_MESSAGE,
    requests: list.map((reclaim) => ({
      machine: reclaim.name || reclaim.machineId,
      machineId: reclaim.machineId,
      gracePeriod: Math.max(0, wholeSeconds(reclaim.gracePeriod)),
    })),
  };
}

/**
 * The body of a failed call, for any thrown value: a HostFactoryError keeps its code, anything
 * else is INTERNAL_ERROR with its message. Never carries a stack or the cause.
 */
export function formatError(error: unknown): ErrorDocument {
  const failure = toHostFactoryError(error);
  const message = failure.message || failure.code;
  return { message, error: { code: failure.code, message, details: jsonSafe(failure.details) } };
}

/**
 * Exit status of a failed call, stable per class of error code (HF only tells 0 from non-zero;
 * the classes help operators and scripts):
 * - 2: the input names something wrong (INVALID_INPUT, TEMPLATE_NOT_FOUND, MAX_NUMBER_EXCEEDED,
 *   REQUEST_NOT_FOUND);
 * - 3: the configuration is wrong (CONFIG_INVALID, TEMPLATE_INVALID);
 * - 4: the cloud refused or failed (PROVIDER_ERROR, INSUFFICIENT_CAPACITY, QUOTA_EXCEEDED,
 *   THROTTLED, AUTH_ERROR, NOT_FOUND);
 * - 5: the state store failed or lost a race (STORAGE_ERROR, CONFLICT);
 * - 1: anything else (INTERNAL_ERROR, values that are not HostFactoryErrors).
 */
export function exitCodeFor(error: unknown): number {
  return EXIT_CODES[toHostFactoryError(error).code];
}

/** The one JSON document a script prints on stdout. */
export function serialize(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 2,
  TEMPLATE_NOT_FOUND: 2,
  MAX_NUMBER_EXCEEDED: 2,
  REQUEST_NOT_FOUND: 2,
  CONFIG_INVALID: 3,
  TEMPLATE_INVALID: 3,
  PROVIDER_ERROR: 4,
  INSUFFICIENT_CAPACITY: 4,
  QUOTA_EXCEEDED: 4,
  THROTTLED: 4,
  AUTH_ERROR: 4,
  NOT_FOUND: 4,
  STORAGE_ERROR: 5,
  CONFLICT: 5,
  INTERNAL_ERROR: 1,
};

const GUIDE_STATUS: Readonly<Record<RequestStatus, GuideRequestStatus>> = {
  running: 'running',
  complete: 'completed',
  complete_with_error: 'completed_with_error',
};

function hfRequest(report: RequestReport): HfRequest {
  if (!report.found) {
    return {
      requestId: report.requestId,
      status: 'complete_with_error',
      message: notFoundMessage(report),
      machines: [],
    };
  }
  return {
    requestId: report.requestId,
    status: report.status,
    message: report.message,
    machines: report.machines.map(hfMachine),
  };
}

function hfMachine(entry: MachineReport): HfMachine {
  const { machine } = entry;
  return {
    machineId: machine.machineId,
    name: machine.name || machine.privateIpAddress,
    result: entry.result,
    status: machine.status,
    privateIpAddress: machine.privateIpAddress,
    publicIpAddress: machine.publicIpAddress,
    launchtime: wholeSeconds(machine.launchTime),
    message: machineMessage(entry),
    priceType: machine.priceType,
    instanceType: machine.instanceType,
    instanceTags: machine.instanceTags,
    cloudHostId: machine.cloudHostId ?? null,
  };
}

function guideMachine(entry: MachineReport, report: RequestReport): GuideMachine {
  const { machine } = entry;
  return {
    machineId: machine.machineId,
    name: machine.name || machine.privateIpAddress,
    result: entry.result,
    status: machine.status,
    privateIpAddress: machine.privateIpAddress,
    ipAddress: machine.privateIpAddress,
    publicIpAddress: machine.publicIpAddress,
    launchtime: wholeSeconds(machine.launchTime),
    message: machineMessage(entry),
    instanceType: machine.instanceType,
    priceType: machine.priceType,
    ...(report.template ? { attributes: wireAttributes(report.template.attributes) } : {}),
  };
}

/** HF requires a message on a failed machine. */
function machineMessage(entry: MachineReport): string {
  if (entry.message) return entry.message;
  if (entry.result === 'fail') return entry.machine.message || FAILED_MACHINE_MESSAGE;
  return '';
}

function notFoundMessage(report: RequestReport): string {
  return report.message || `Request ${report.requestId} not found`;
}

function wireAttributes(attributes: TemplateAttributes): WireAttributes {
  const out: WireAttributes = {};
  for (const [name, [kind, value]] of Object.entries(attributes)) {
    out[name] = [kind, String(value)];
  }
  return out;
}

function wholeSeconds(value: number): number {
  return Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** Details as plain JSON: errors become their message, bigints strings; unprintable -> a note. */
function jsonSafe(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    const text = JSON.stringify(details, (_key, value: unknown) => {
      if (value instanceof Error) return value.message;
      if (typeof value === 'bigint') return value.toString();
      return value;
    });
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return { note: 'details could not be printed as JSON' };
  }
}
