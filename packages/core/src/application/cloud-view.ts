import { machineChanged, markGone, observeMachine, type Machine, type MachineObservation, type ObservationContext } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi } from '../domain/template/template';
import { toHostFactoryError } from '../errors';
import type { CapacityProviders, Fulfilment } from '../ports/capacity-provider';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';

/** What one poll learnt from the cloud: instances seen, and asked-for ids the cloud does not know. */
export interface CloudView {
  readonly observations: ReadonlyMap<string, MachineObservation>;
  readonly missing: ReadonlySet<string>;
  /** Per request id, when the provider reported it (fleets and groups fill over time). */
  readonly fulfilment?: ReadonlyMap<string, Fulfilment>;
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

/**
 * Releases machines through the API that made each, handing the provider the acquire requests
 * they belong to. Every group is tried; each failure goes to `onFailure`.
 */
export async function releaseByApi(
  store: StateStore,
  providers: CapacityProviders,
  machines: readonly Machine[],
  onFailure: (api: ProviderApi, group: readonly Machine[], error: unknown) => void,
): Promise<void> {
  if (machines.length === 0) return;
  const requests = await store.getRequests([...new Set(machines.map((m) => m.requestId))]);
  for (const [api, group] of groupByApi(machines)) {
    const owners = new Set(group.map((m) => m.requestId));
    try {
      await providers.forApi(api).release(
        group,
        requests.filter((r) => owners.has(r.requestId)),
      );
    } catch (error) {
      onFailure(api, group, error);
    }
  }
}

/**
 * Best-effort release, grouped by API: failures are logged at warn and the machines are given back
 * on a later call (a status poll, the orphan sweep).
 */
export async function releaseOrWarn(
  store: StateStore,
  providers: CapacityProviders,
  logger: Logger,
  machines: readonly Machine[],
  why: string,
): Promise<void> {
  if (machines.length === 0) return;
  logger.info('terminating machines', { reason: why, machineIds: machines.map((m) => m.machineId) });
  await releaseByApi(store, providers, machines, (api, group, error) =>
    logger.warn('terminate failed; will retry', {
      api,
      reason: why,
      machineIds: group.map((m) => m.machineId),
      error: toHostFactoryError(error).message,
    }),
  );
}

/**
 * The request ended with less than it asked for: its provider stops the cloud from launching
 * more for it (best effort: a failure is logged; the orphan sweep gives back what comes anyway).
 */
export async function abandonOrWarn(providers: CapacityProviders, logger: Logger, request: Request, machines: readonly Machine[]): Promise<void> {
  try {
    await providers.forApi(request.providerApi ?? 'RunInstances').abandon?.(request, machines);
  } catch (error) {
    logger.warn('could not stop the cloud filling an ended request', {
      requestId: request.requestId,
      error: toHostFactoryError(error).message,
    });
  }
}
