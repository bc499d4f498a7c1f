import {
  machineChanged,
  markGone,
  observeMachine,
  type Machine,
  type MachineObservation,
  type ObservationContext,
} from '../domain/machine/machine';
import type { ProviderApi } from '../domain/template/template';

/** What one poll learnt from the cloud: instances seen, and asked-for ids the cloud does not know. */
export interface CloudView {
  readonly observations: ReadonlyMap<string, MachineObservation>;
  readonly missing: ReadonlySet<string>;
}

export interface AppliedView {
  /** Every stored machine in its new form, in stored order. */
  readonly all: Machine[];
  /** The ones that differ from what is stored. */
  readonly changed: Machine[];
  /** Ids the cloud showed this time (as opposed to reported missing or not looked at). */
  readonly observed: ReadonlySet<string>;
}

/** Applies the cloud's view to stored machines: observed ones are updated, missing ones are gone. */
export function applyCloudView(stored: readonly Machine[], view: CloudView, context: ObservationContext): AppliedView {
  const all: Machine[] = [];
  const changed: Machine[] = [];
  const observed = new Set<string>();
  for (const machine of stored) {
    const observation = view.observations.get(machine.machineId);
    let next = machine;
    if (observation) {
      observed.add(machine.machineId);
      next = observeMachine(machine, observation, context);
    } else if (view.missing.has(machine.machineId)) {
      next = markGone(machine, context);
    }
    if (machineChanged(machine, next)) changed.push(next);
    all.push(next);
  }
  return { all, changed, observed };
}

/** Machines grouped by the API that made them (each API is asked once). */
export function groupByApi(machines: readonly Machine[]): Map<ProviderApi, Machine[]> {
  const groups = new Map<ProviderApi, Machine[]>();
  for (const machine of machines) {
    const group = groups.get(machine.providerApi);
    if (group) group.push(machine);
    else groups.set(machine.providerApi, [machine]);
  }
  return groups;
}
