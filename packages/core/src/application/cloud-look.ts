import type { Machine, MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi } from '../domain/template/template';
import { toHostFactoryError } from '../errors';
import type { CapacityProviders, Fulfilment } from '../ports/capacity-provider';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import type { CloudView } from './cloud-view';

/** What one status poll saw of the cloud. */
export interface CloudLook {
  readonly view: CloudView;
  /** Requests whose provider could not be asked: their stored state is reported as it is. */
  readonly blind: ReadonlySet<string>;
  /** Per request id, why the cloud could not be seen. */
  readonly messages: ReadonlyMap<string, string>;
}

interface ApiWork {
  readonly requests: Request[];
  readonly machines: Map<string, Machine>;
  readonly owners: Set<string>;
}

/**
 * One batched describe per provider API for everything a poll needs to see: the acquire
 * requests (by their tag) with their machines, and the machines of the return requests. A
 * provider that fails leaves its requests blind (logged, with the reason per request).
 */
export async function lookAtCloud(
  store: StateStore,
  providers: CapacityProviders,
  logger: Logger,
  acquires: readonly Request[],
  returns: readonly Request[],
): Promise<CloudLook> {
  const machines = await store.getMachines({
    requestIds: acquires.map((r) => r.requestId),
    returnRequestIds: returns.map((r) => r.requestId),
  });
  const work = new Map<ProviderApi, ApiWork>();
  const slot = (api: ProviderApi): ApiWork => {
    let entry = work.get(api);
    if (!entry) work.set(api, (entry = { requests: [], machines: new Map(), owners: new Set() }));
    return entry;
  };
  for (const request of acquires) {
    const entry = slot(request.providerApi ?? 'RunInstances');
    entry.requests.push(request);
    entry.owners.add(request.requestId);
    for (const m of machines) if (m.requestId === request.requestId) entry.machines.set(m.machineId, m);
  }
  for (const request of returns) {
    for (const m of machines) {
      if (m.returnRequestId !== request.requestId) continue;
      const entry = slot(m.providerApi);
      entry.machines.set(m.machineId, m);
      entry.owners.add(request.requestId);
    }
  }

  const observations = new Map<string, MachineObservation>();
  const missing = new Set<string>();
  const fulfilment = new Map<string, Fulfilment>();
  const blind = new Set<string>();
  const messages = new Map<string, string>();
  // One describe per API, the APIs at once.
  await Promise.all(
    [...work].map(async ([api, entry]) => {
      try {
        const result = await providers.forApi(api).describe({ requests: entry.requests, machines: [...entry.machines.values()] });
        for (const o of result.observations) observations.set(o.machineId, o);
        for (const id of result.missing) missing.add(id);
        for (const [id, state] of result.fulfilment ?? []) fulfilment.set(id, state);
      } catch (error) {
        const failure = toHostFactoryError(error, 'PROVIDER_ERROR');
        logger.warn('describe failed; reporting stored state', { api, code: failure.code, error: failure.message });
        for (const owner of entry.owners) {
          blind.add(owner);
          messages.set(owner, `Cloud status unavailable (${failure.code}): ${failure.message}`);
        }
      }
    }),
  );
  return { view: { observations, missing, fulfilment }, blind, messages };
}
