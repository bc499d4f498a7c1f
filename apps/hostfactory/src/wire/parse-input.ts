import { HostFactoryError, type MachineRef, type ReturnMachinesInput } from '@open-hostfactory/core';
import type { Dialect } from './dialect';

/** Largest machine count a single requestMachines call may name (a sanity bound, not a quota). */
export const MAX_MACHINE_COUNT = 1_000_000;

export interface RequestMachinesCall {
  readonly dialect: Dialect;
  readonly templateId: string;
  readonly machineCount: number;
  /** HF's top-level `rc_account`, when sent (an empty one counts as not sent). */
  readonly rcAccount?: string;
}

export interface RequestStatusCall {
  readonly dialect: Dialect;
  /** The valid ids, in input order, duplicates kept. */
  readonly requestIds: readonly string[];
  /**
   * HF dialect: every entry in input order, a valid id or why the entry is not one (such an entry
   * is answered on its own, `complete_with_error`, without failing the call).
   */
  readonly entries?: readonly ({ readonly requestId: string } | { readonly problem: string })[];
}

export interface ReturnMachinesCall {
  readonly dialect: Dialect;
  readonly input: ReturnMachinesInput;
}

export interface ReturnRequestsCall {
  /** The machines HF holds; undefined when HF named none (`{}`): consider all held machines. */
  readonly machines?: readonly MachineRef[];
}

type JsonObject = Record<string, unknown>;

/**
 * Parses the text of an input file. Accepts a UTF-8 byte order mark and any JSON whitespace
 * (HF writes its files tab-indented).
 * @throws HostFactoryError INVALID_INPUT when the text is empty or not JSON.
 */
export function parseJsonDocument(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw invalid(`Malformed JSON in ${source}: the document is empty`, { source });
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HostFactoryError('INVALID_INPUT', `Malformed JSON in ${source}: ${reason}`, {
      cause: error,
      details: { source },
    });
  }
}

/**
 * getAvailableTemplates: the input is `{}`; any keys are ignored.
 * @throws HostFactoryError INVALID_INPUT when the document is not a JSON object.
 */
export function parseGetAvailableTemplates(doc: unknown): void {
  requireObject(doc, 'getAvailableTemplates');
}

/**
 * requestMachines. HF: `{"template": {"templateId", "machineCount"}}` (a one-element array is
 * accepted for `template`); guide: `{"templateId", "maxNumber"}` where `maxNumber` is the count.
 * A count may be given as a string of digits (`"3"`). A top-level `rc_account` string is read in
 * both dialects (its characters are checked by the use case).
 * @throws HostFactoryError INVALID_INPUT naming the missing or wrong field.
 */
export function parseRequestMachines(doc: unknown): RequestMachinesCall {
  const root = requireObject(doc, 'requestMachines');
  const rcAccount = optionalString(root['rc_account'], 'rc_account', 'requestMachines');
  const account = rcAccount === undefined ? {} : { rcAccount };
  if ('template' in root) {
    const template = singleTemplate(root['template']);
    return {
      dialect: 'hf',
      templateId: requireId(template['templateId'], 'template.templateId', 'requestMachines'),
      machineCount: requireCount(template['machineCount'], 'template.machineCount'),
      ...account,
    };
  }
  if ('templateId' in root) {
    return {
      dialect: 'guide',
      templateId: requireId(root['templateId'], 'templateId', 'requestMachines'),
      machineCount: requireCount(root['maxNumber'], 'maxNumber'),
      ...account,
    };
  }
  throw invalid('Missing template in requestMachines input: expected {"template": {"templateId": ..., "machineCount": ...}}', { field: 'template' });
}

/**
 * getRequestStatus. HF: `{"requests": [{"requestId"}, ...]}` or `{"requests": {"requestId"}}`
 * (order and duplicates kept; an empty list is valid; an entry without a valid `requestId` is
 * kept as a problem, answered on its own); guide: `{"requestId"}`.
 * @throws HostFactoryError INVALID_INPUT naming the missing or wrong field.
 */
export function parseGetRequestStatus(doc: unknown): RequestStatusCall {
  const root = requireObject(doc, 'getRequestStatus');
  if ('requests' in root) {
    const list = listOf(root['requests'], 'requests', 'getRequestStatus');
    const entries = list.map((entry, index): { requestId: string } | { problem: string } => {
      const field = `requests[${index}]`;
      try {
        const request = entryObject(entry, field, 'getRequestStatus');
        return { requestId: requireId(request['requestId'], `${field}.requestId`, 'getRequestStatus') };
      } catch (error) {
        return { problem: (error as Error).message };
      }
    });
    const requestIds = entries.flatMap((entry) => ('requestId' in entry ? [entry.requestId] : []));
    return { dialect: 'hf', requestIds, entries };
  }
  if ('requestId' in root) {
    return { dialect: 'guide', requestIds: [requireId(root['requestId'], 'requestId', 'getRequestStatus')] };
  }
  throw invalid('Missing requests in getRequestStatus input: expected {"requests": [{"requestId": ...}]}', {
    field: 'requests',
  });
}

/**
 * requestReturnMachines. HF: `{"machines": [{"name", "machineId"}, ...]}` or a single object
 * (an empty list is valid); guide: `{"requestId"}` (return every live machine of that request).
 * @throws HostFactoryError INVALID_INPUT naming the missing or wrong field.
 */
export function parseRequestReturnMachines(doc: unknown): ReturnMachinesCall {
  const root = requireObject(doc, 'requestReturnMachines');
  if ('machines' in root) {
    return { dialect: 'hf', input: { machines: machineRefs(root['machines'], 'requestReturnMachines') } };
  }
  if ('requestId' in root) {
    return {
      dialect: 'guide',
      input: { requestId: requireId(root['requestId'], 'requestId', 'requestReturnMachines') },
    };
  }
  throw invalid('Missing machines in requestReturnMachines input: expected {"machines": [{"name": ..., "machineId": ...}]}', { field: 'machines' });
}

/**
 * getReturnRequests. `{}` (or `machines` null): machines undefined; otherwise the machines HF
 * holds, as a list or a single object.
 * @throws HostFactoryError INVALID_INPUT naming the wrong field.
 */
export function parseGetReturnRequests(doc: unknown): ReturnRequestsCall {
  const root = requireObject(doc, 'getReturnRequests');
  const machines = root['machines'];
  if (machines === undefined || machines === null) return {};
  return { machines: machineRefs(machines, 'getReturnRequests') };
}

function machineRefs(value: unknown, call: string): MachineRef[] {
  return listOf(value, 'machines', call).map((entry, index) => {
    const field = `machines[${index}]`;
    const machine = entryObject(entry, field, call);
    const machineId = optionalString(machine['machineId'], `${field}.machineId`, call);
    const name = optionalString(machine['name'], `${field}.name`, call);
    if (machineId === undefined && name === undefined) {
      throw invalid(`${field} in ${call} input needs a machineId or a name`, { field });
    }
    const ref: { machineId?: string; name?: string } = {};
    if (machineId !== undefined) ref.machineId = machineId;
    if (name !== undefined) ref.name = name;
    return ref;
  });
}

function singleTemplate(value: unknown): JsonObject {
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw invalid(`template in requestMachines input must be one object (got an array of ${value.length})`, {
        field: 'template',
      });
    }
    return entryObject(value[0], 'template[0]', 'requestMachines');
  }
  return entryObject(value, 'template', 'requestMachines');
}

function requireObject(doc: unknown, call: string): JsonObject {
  if (!isObject(doc)) {
    throw invalid(`${call} input must be a JSON object (got ${describe(doc)})`, { received: describe(doc) });
  }
  return doc;
}

function entryObject(value: unknown, field: string, call: string): JsonObject {
  if (!isObject(value)) {
    throw invalid(`${field} in ${call} input must be an object (got ${describe(value)})`, {
      field,
      received: describe(value),
    });
  }
  return value;
}

/** A list, or a single object taken as a list of one. */
function listOf(value: unknown, field: string, call: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return [value];
  throw invalid(`${field} in ${call} input must be a list or an object (got ${describe(value)})`, {
    field,
    received: describe(value),
  });
}

function requireId(value: unknown, field: string, call: string): string {
  if (value === undefined) throw invalid(`Missing ${field} in ${call} input`, { field });
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${field} in ${call} input must be a non-empty string (got ${describe(value)})`, {
      field,
      received: describe(value),
    });
  }
  return value.trim();
}

function optionalString(value: unknown, field: string, call: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw invalid(`${field} in ${call} input must be a string (got ${describe(value)})`, {
      field,
      received: describe(value),
    });
  }
  return value.trim() === '' ? undefined : value.trim();
}

function requireCount(value: unknown, field: string): number {
  if (value === undefined) throw invalid(`Missing ${field} in requestMachines input`, { field });
  let count: number | undefined;
  if (typeof value === 'number') count = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) count = Number(value);
  if (count === undefined || !Number.isInteger(count) || count < 1) {
    throw invalid(`${field} in requestMachines input must be a positive integer (got ${describe(value)})`, {
      field,
      received: describe(value),
    });
  }
  if (count > MAX_MACHINE_COUNT) {
    throw invalid(`${field} in requestMachines input must be at most ${MAX_MACHINE_COUNT} (got ${count})`, {
      field,
      received: count,
    });
  }
  return count;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, printable account of a received value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function invalid(message: string, details: Record<string, unknown>): HostFactoryError {
  return new HostFactoryError('INVALID_INPUT', message, { details });
}
