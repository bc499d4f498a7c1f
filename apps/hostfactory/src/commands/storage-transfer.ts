import { HostFactoryError, type Machine, type Request, type StateStore } from '@open-hostfactory/core';

/**
 * Moving state between stores (SQLite <-> DynamoDB) as JSON lines: one `{"type": "request"}` or
 * `{"type": "machine"}` record a line, requests first. Import inserts what the target does not
 * have, skips records it already holds unchanged, and refuses (naming them) records it holds
 * differently, so an import never overwrites and can be run again after a failure.
 */
export interface TransferCounts {
  readonly requests: number;
  readonly machines: number;
}

type Line = { type: 'request'; record: Request } | { type: 'machine'; record: Machine };

/** Writes every request and machine of the store, requests first. */
export async function exportState(store: StateStore, writeLine: (line: string) => void): Promise<TransferCounts> {
  const requests = await store.listRequests({});
  for (const record of requests) writeLine(JSON.stringify({ type: 'request', record }));
  const machines = await store.getMachines({ requestIds: requests.filter((r) => r.kind === 'acquire').map((r) => r.requestId) });
  for (const record of machines) writeLine(JSON.stringify({ type: 'machine', record }));
  return { requests: requests.length, machines: machines.length };
}

/** Imports exported lines (see {@link exportState}); returns what was written and what was already there. */
export async function importState(store: StateStore, lines: readonly string[]): Promise<{ imported: TransferCounts; skipped: TransferCounts }> {
  const parsed = lines.map((text, index) => parseLine(text, index + 1)).filter((line): line is Line => line !== undefined);
  const requests = parsed.filter((l) => l.type === 'request').map((l) => l.record as Request);
  const machines = parsed.filter((l) => l.type === 'machine').map((l) => l.record as Machine);

  const existingRequests = new Map((await store.getRequests(requests.map((r) => r.requestId))).map((r) => [r.requestId, r]));
  const existingMachines = new Map((await store.getMachines({ machineIds: machines.map((m) => m.machineId) })).map((m) => [m.machineId, m]));
  const differing = [
    ...requests.filter((r) => existingRequests.has(r.requestId) && !same(r, existingRequests.get(r.requestId))).map((r) => r.requestId),
    ...machines.filter((m) => existingMachines.has(m.machineId) && !same(m, existingMachines.get(m.machineId))).map((m) => m.machineId),
  ];
  if (differing.length > 0) {
    throw new HostFactoryError(
      'CONFLICT',
      `The target store already holds different records for ${differing.slice(0, 10).join(', ')}${differing.length > 10 ? ', ...' : ''}; nothing was imported`,
      { details: { differing }, transient: false },
    );
  }
  const newRequests = requests.filter((r) => !existingRequests.has(r.requestId)).map((r) => ({ ...r, version: 0 }));
  const newMachines = machines.filter((m) => !existingMachines.has(m.machineId)).map((m) => ({ ...m, version: 0 }));
  // Chunks a transaction of any store takes (DynamoDB: 100 items); requests before their machines.
  for (let i = 0; i < newRequests.length; i += 50) await store.write({ requests: newRequests.slice(i, i + 50) });
  for (let i = 0; i < newMachines.length; i += 50) await store.write({ machines: newMachines.slice(i, i + 50) });
  return {
    imported: { requests: newRequests.length, machines: newMachines.length },
    skipped: { requests: requests.length - newRequests.length, machines: machines.length - newMachines.length },
  };
}

function parseLine(text: string, lineNumber: number): Line | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HostFactoryError('INVALID_INPUT', `Line ${lineNumber} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const line = value as { type?: unknown; record?: Record<string, unknown> };
  const record = line.record;
  const ok =
    (line.type === 'request' && typeof record?.['requestId'] === 'string' && (record['kind'] === 'acquire' || record['kind'] === 'return')) ||
    (line.type === 'machine' && typeof record?.['machineId'] === 'string' && typeof record['requestId'] === 'string');
  if (!ok) {
    throw new HostFactoryError('INVALID_INPUT', `Line ${lineNumber} is not an exported request or machine`, { details: { lineNumber } });
  }
  return value as Line;
}

/** Records compare without their store-local version. */
function same(a: object, b: object | undefined): boolean {
  if (!b) return false;
  const { version: _a, ...left } = a as { version: number };
  const { version: _b, ...right } = b as { version: number };
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
