import { countsAgainstQuota, type Machine } from '../domain/machine/machine';
import { shortfall, type Request } from '../domain/request/request';
import type { Template } from '../domain/template/template';
import type { StateStore, TemplateLoad } from '../ports/state-store';

/**
 * Capacity units a template's load takes from its maxNumber: machines that count against it, plus
 * what each running acquire request still has to launch (its reservation). A machine is counted
 * once whether it came with the template's machines or with a running request's: a store that
 * reads them one after the other (DynamoDB) may see a launch land in between, the machine
 * missing from the first read and the request's shortfall already gone in the second.
 */
export function unitsInUse(load: TemplateLoad): number {
  let units = 0;
  const counted = new Set<string>();
  for (const machine of [...load.machines, ...load.requestMachines]) {
    if (counted.has(machine.machineId) || machine.templateId !== load.templateId || !countsAgainstQuota(machine)) continue;
    counted.add(machine.machineId);
    units += machine.weight;
  }
  const byRequest = machinesByRequest(load.requestMachines);
  for (const request of load.requests) units += shortfall(request, byRequest.get(request.requestId) ?? []);
  return units;
}

/** Units in use per template (see {@link unitsInUse}), read from the store's live-only indexes. */
export async function unitsInUseByTemplate(store: StateStore, templateIds: readonly string[]): Promise<Map<string, number>> {
  const used = new Map<string, number>(templateIds.map((id) => [id, 0]));
  if (templateIds.length === 0) return used;
  for (const load of await store.loadOf(templateIds)) used.set(load.templateId, unitsInUse(load));
  return used;
}

/**
 * Units `request` may still launch within its template's maxNumber: what it lacks, or less when
 * the template is overdrawn (its maxNumber was lowered, instances were adopted). -1: unlimited.
 */
export function roomFor(template: Template, request: Request, load: TemplateLoad): number {
  if (template.maxNumber < 0) return -1;
  const own = load.requestMachines.filter((m) => m.requestId === request.requestId);
  const reserved = load.requests.some((r) => r.requestId === request.requestId) ? shortfall(request, own) : 0;
  return Math.max(0, template.maxNumber - (unitsInUse(load) - reserved));
}

/** maxNumber minus what is in use, never below 0; -1 for an unlimited template. */
export function availableNumber(template: Template, used: number): number {
  if (template.maxNumber < 0) return -1;
  return Math.max(0, template.maxNumber - used);
}

function machinesByRequest(machines: readonly Machine[]): Map<string, Machine[]> {
  const map = new Map<string, Machine[]>();
  for (const machine of machines) {
    const list = map.get(machine.requestId);
    if (list) list.push(machine);
    else map.set(machine.requestId, [machine]);
  }
  return map;
}
