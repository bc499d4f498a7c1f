import { countsAgainstQuota } from '../domain/machine/machine';
import { shortfall } from '../domain/request/request';
import type { Template } from '../domain/template/template';
import type { StateStore } from '../ports/state-store';

/**
 * How many machines of each template are held or still on their way: machines that count
 * against the quota plus what running acquire requests still have to launch.
 */
export async function heldByTemplate(store: StateStore, templateIds: readonly string[]): Promise<Map<string, number>> {
  const held = new Map<string, number>(templateIds.map((id) => [id, 0]));
  if (templateIds.length === 0) return held;
  const [machines, running] = await Promise.all([
    store.getMachines({ templateIds }),
    store.listRequests({ kind: 'acquire', statuses: ['running'] }),
  ]);
  for (const machine of machines) {
    if (held.has(machine.templateId) && countsAgainstQuota(machine)) {
      held.set(machine.templateId, (held.get(machine.templateId) ?? 0) + machine.weight);
    }
  }
  for (const request of running) {
    if (!request.templateId || !held.has(request.templateId)) continue;
    const own = machines.filter((m) => m.requestId === request.requestId);
    held.set(request.templateId, (held.get(request.templateId) ?? 0) + shortfall(request, own));
  }
  return held;
}

/** maxNumber minus held, never below 0; -1 for an unlimited template. */
export function availableNumber(template: Template, held: number): number {
  if (template.maxNumber < 0) return -1;
  return Math.max(0, template.maxNumber - held);
}
