import type { Machine } from '../domain/machine/machine';
import type { StateStore } from '../ports/state-store';
import type { MachineRef } from './results';

export interface ResolvedMachines {
  readonly machines: Machine[];
  readonly unknown: MachineRef[];
}

/** Stored machines named by HF: by `machineId`, or by `name` when the id is missing. */
export async function resolveMachineRefs(store: StateStore, refs: readonly MachineRef[]): Promise<ResolvedMachines> {
  const ids = refs.filter((r) => r.machineId).map((r) => r.machineId as string);
  const names = refs.filter((r) => !r.machineId && r.name).map((r) => r.name as string);
  const [byId, byName] = await Promise.all([
    ids.length ? store.getMachines({ machineIds: ids }) : Promise.resolve([]),
    names.length ? store.getMachines({ names }) : Promise.resolve([]),
  ]);
  const idIndex = new Map(byId.map((m) => [m.machineId, m]));
  const found = new Map<string, Machine>();
  const unknown: MachineRef[] = [];
  for (const ref of refs) {
    const match = ref.machineId ? idIndex.get(ref.machineId) : byName.filter((m) => m.name === ref.name).sort(newestFirst)[0];
    if (match) found.set(match.machineId, match);
    else unknown.push(ref);
  }
  return { machines: [...found.values()], unknown };
}

/** Several machines may have carried one host name over time: prefer the one HF holds, then the newest. */
function newestFirst(a: Machine, b: Machine): number {
  const held = Number(b.returnRequestId === undefined && !b.gone) - Number(a.returnRequestId === undefined && !a.gone);
  return held !== 0 ? held : b.createdAt - a.createdAt;
}
