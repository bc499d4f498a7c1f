import { HostFactoryError } from '../errors';
import type { Machine } from '../domain/machine/machine';
import { countsAgainstQuota, isMachineHeld } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { MachineQuery, PurgeResult, RequestQuery, StateChanges, StateStore, StoredChanges, TemplateLoad } from '../ports/state-store';

interface CacheEntry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * A {@link StateStore} held in memory, with the exact semantics of the port (versioned,
 * all-or-nothing writes; copies in and out). For tests and for single-process experiments.
 */
export class InMemoryStateStore implements StateStore {
  private requests = new Map<string, Request>();
  private machines = new Map<string, Machine>();
  private readonly cache = new Map<string, CacheEntry>();

  async write(changes: StateChanges): Promise<StoredChanges> {
    return this.writeNow(changes);
  }

  private load(templateId: string): TemplateLoad {
    const machines = [...this.machines.values()].filter((m) => m.templateId === templateId && countsAgainstQuota(m));
    const requests = [...this.requests.values()].filter((r) => r.kind === 'acquire' && r.status === 'running' && r.templateId === templateId);
    const ids = new Set(requests.map((r) => r.requestId));
    const requestMachines = [...this.machines.values()].filter((m) => ids.has(m.requestId));
    return {
      templateId,
      machines: machines.map(copyMachine),
      requests: requests.map(copyRequest),
      requestMachines: requestMachines.map(copyMachine),
    };
  }

  private writeNow(changes: StateChanges): Promise<StoredChanges> {
    // Stage on copies of the maps so that a conflict anywhere leaves the store untouched.
    const requests = new Map(this.requests);
    const machines = new Map(this.machines);
    const storedRequests = (changes.requests ?? []).map((request) => stage(requests, request.requestId, request, 'Request'));
    const storedMachines = (changes.machines ?? []).map((machine) => stage(machines, machine.machineId, machine, 'Machine'));
    this.requests = requests;
    this.machines = machines;
    return Promise.resolve({ requests: storedRequests.map(copyRequest), machines: storedMachines.map(copyMachine) });
  }

  async getRequests(requestIds: readonly string[]): Promise<Request[]> {
    const seen = new Set<string>();
    const found: Request[] = [];
    for (const requestId of requestIds) {
      if (seen.has(requestId)) continue;
      seen.add(requestId);
      const request = this.requests.get(requestId);
      if (request) found.push(copyRequest(request));
    }
    return found;
  }

  async listRequests(query: RequestQuery): Promise<Request[]> {
    const statuses = query.statuses === undefined ? undefined : new Set(query.statuses);
    return [...this.requests.values()]
      .filter(
        (request) =>
          (query.kind === undefined || request.kind === query.kind) &&
          (statuses === undefined || statuses.has(request.status)) &&
          (query.templateId === undefined || request.templateId === query.templateId) &&
          (query.open !== true || request.closedAt === undefined),
      )
      .sort((a, b) => a.createdAt - b.createdAt || compare(a.requestId, b.requestId))
      .map(copyRequest);
  }

  async getMachines(query: MachineQuery): Promise<Machine[]> {
    const machineIds = toSet(query.machineIds);
    const names = toSet(query.names);
    const requestIds = toSet(query.requestIds);
    const returnRequestIds = toSet(query.returnRequestIds);
    return [...this.machines.values()]
      .filter(
        (machine) =>
          machineIds.has(machine.machineId) ||
          names.has(machine.name) ||
          requestIds.has(machine.requestId) ||
          (machine.returnRequestId !== undefined && returnRequestIds.has(machine.returnRequestId)) ||
          (query.held === true && isMachineHeld(machine)),
      )
      .sort((a, b) => a.createdAt - b.createdAt || compare(a.machineId, b.machineId))
      .map(copyMachine);
  }

  async loadOf(templateIds: readonly string[]): Promise<TemplateLoad[]> {
    return templateIds.map((templateId) => this.load(templateId));
  }

  async admit(request: Request, accepts: (load: TemplateLoad) => boolean): Promise<Request | undefined> {
    // No await between the read and the write: atomic within this process, like the port demands.
    if (!accepts(this.load(request.templateId ?? ''))) return undefined;
    const [stored] = (await this.writeNow({ requests: [request] })).requests;
    return stored;
  }

  async takeLease(name: string, holder: string, until: number, now: number): Promise<boolean> {
    const key = `lease:${name}`;
    const current = this.cache.get(key);
    if (current !== undefined && current.expiresAt > now) return false;
    this.cache.set(key, { value: holder, expiresAt: until });
    return true;
  }

  async getCached(key: string, now: number): Promise<string | undefined> {
    const entry = this.cache.get(key);
    return entry !== undefined && now < entry.expiresAt ? entry.value : undefined;
  }

  async putCached(key: string, value: string, expiresAt: number): Promise<void> {
    this.cache.set(key, { value, expiresAt });
  }

  async purge(closedBefore: number, limit: number): Promise<PurgeResult> {
    const purged = [...this.requests.values()]
      .filter((r) => r.closedAt !== undefined && r.closedAt < closedBefore)
      .slice(0, limit)
      .map((r) => r.requestId);
    const ids = new Set(purged);
    let machines = 0;
    for (const [machineId, machine] of this.machines) {
      if (ids.has(machine.requestId)) {
        this.machines.delete(machineId);
        machines += 1;
      }
    }
    for (const id of ids) this.requests.delete(id);
    return { requests: ids.size, machines };
  }

  /** Nothing to release. */
  async close(): Promise<void> {
    // Nothing to release; the data stays available to whoever still holds the instance.
  }
}

function stage<T extends Request | Machine>(records: Map<string, T>, id: string, record: T, label: string): T {
  const stored = records.get(id);
  if (record.version === 0) {
    if (stored !== undefined) {
      throw new HostFactoryError('CONFLICT', `${label} ${id} already exists (version ${stored.version})`, {
        details: { id, expectedVersion: 0, actualVersion: stored.version },
      });
    }
  } else if (stored === undefined || stored.version !== record.version) {
    const actual = stored === undefined ? 'missing' : `version ${stored.version}`;
    throw new HostFactoryError('CONFLICT', `${label} ${id} was changed elsewhere (${actual}, expected version ${record.version})`, {
      details: { id, expectedVersion: record.version, actualVersion: stored?.version },
    });
  }
  const next = { ...copy(record), version: record.version + 1 } as T;
  records.set(id, next);
  return next;
}

function copy<T extends Request | Machine>(record: T): T {
  return 'machineId' in record ? (copyMachine(record) as T) : (copyRequest(record as Request) as T);
}

function copyRequest(request: Request): Request {
  const copy = { ...request, providerData: { ...request.providerData } };
  return request.launchLease === undefined ? copy : { ...copy, launchLease: { ...request.launchLease } };
}

function copyMachine(machine: Machine): Machine {
  return machine.notice === undefined ? { ...machine } : { ...machine, notice: { ...machine.notice } };
}

function toSet(values: readonly string[] | undefined): ReadonlySet<string> {
  return new Set(values ?? []);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
