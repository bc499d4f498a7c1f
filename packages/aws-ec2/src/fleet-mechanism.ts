import {
  isEndedState,
  type AcquireInput,
  type AcquireResult,
  type CapacityHolder,
  type CapacityProvider,
  type Clock,
  type CloudInventory,
  type DescribeInput,
  type DescribeResult,
  type Fulfilment,
  type Machine,
  type MachineObservation,
  type PreflightResult,
  type ProviderApi,
  type Request,
  type Template,
} from '@open-hostfactory/core';
import { unique } from '@open-hostfactory/aws-common';
import type { Ec2Instances } from './ec2-instances';
import { claimFleetInstances, fleetTags, type FleetTags } from './fleet-common';

/** What the mechanism reads of one fleet (an EC2 Fleet, a Spot Fleet request). */
export interface FleetState {
  readonly id: string;
  /** `instant` fleets launch nothing after their creation. */
  readonly type: 'instant' | 'request' | 'maintain' | undefined;
  /** May still launch (submitted, active, modifying). */
  readonly live: boolean;
  /** Live, not past its ValidUntil, and still short of its target: the cloud keeps launching. */
  readonly fulfilling: boolean;
  /** Its total target capacity now, in units. */
  readonly target: number;
  readonly tags: readonly { Key?: string; Value?: string }[] | undefined;
}

/**
 * The calls of one fleet API, over which {@link FleetMechanism} implements describe, release,
 * abandon, fulfilment, inventory, dispose and lookup once for both fleet shapes.
 */
export interface FleetApi<F> {
  readonly api: ProviderApi;
  /** For people (`EC2 Fleet`, `Spot Fleet request`). */
  readonly kind: string;
  /** The providerData key holding the request's template tags (for instances the fleet launched untagged). */
  readonly instanceTagsKey: string;
  /** The fleet ids recorded on a request. */
  fleetIdsOf(request: Request | undefined): string[];
  /** True when the request's fleets fill over time (describe watches them); false for instant ones. */
  fillsOverTime(request: Request): boolean;
  /** Fleets by id, batched and paginated; ids the cloud does not know are left out. */
  describeFleets(ids: readonly string[]): Promise<Map<string, F>>;
  /** Live fleets tagged with the provider instance's name. */
  ownFleets(): Promise<F[]>;
  /** The fleet's state; `request`, when known, is the acquire request it was made for (a fallback for what the cloud omits). */
  state(fleet: F, now: number, request?: Request): FleetState;
  /** The instances the fleet holds. */
  members(fleet: F): Promise<string[]>;
  /** Why the request's fleets are short (errors, history), when the API can say; `fulfilling` tells whether they still launch. */
  reason(request: Request, fleets: readonly F[], fulfilling: boolean): Promise<string>;
  /** Lowers a maintain fleet's target by the released machines' units; returns the new target. */
  lowerTarget(fleet: F, released: readonly Machine[]): Promise<number>;
  /** Stops the fleets launching more for an abandoned request, keeping their instances. */
  stop(fleets: readonly F[]): Promise<void>;
  /** Removes fleets, with their instances or without. Fleets already gone are fine. */
  remove(ids: readonly string[], withInstances: boolean): Promise<void>;
}

/**
 * What EC2 Fleet and Spot Fleet share, written once: a poll's describe (the request's fleets,
 * their instances claimed with the request's tags, fulfilment), release (maintain targets
 * lowered first, then the machines terminated, then fleets left with nothing removed), abandon,
 * inventory, dispose and lookup.
 */
export class FleetMechanism<F> {
  constructor(
    private readonly fleets: FleetApi<F>,
    private readonly instances: Ec2Instances,
    private readonly providerName: string,
    private readonly clock: Clock,
  ) {}

  /**
   * One pass: the fleets of the asked requests that fill over time, the instances each holds,
   * request tags added to fleet instances that lack them, then one batched instance describe
   * (request tags + asked machines + fleet instances). Only tags instances; otherwise read-only.
   */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    const watched = input.requests.filter((request) => this.fleets.fleetIdsOf(request).length > 0 && this.fleets.fillsOverTime(request));
    const fleets = await this.fleets.describeFleets(watched.flatMap((request) => this.fleets.fleetIdsOf(request)));
    const ownerOf = new Map<string, Request>();
    for (const request of watched) {
      for (const fleetId of this.fleets.fleetIdsOf(request)) {
        const fleet = fleets.get(fleetId);
        if (fleet === undefined) continue;
        for (const id of await this.fleets.members(fleet)) ownerOf.set(id, request);
      }
    }
    const asked = unique(input.machines.map((machine) => machine.machineId));
    const view = await this.instances.describe(
      input.requests.map((request) => request.requestId),
      [...asked, ...ownerOf.keys()],
    );
    const observations = await claimFleetInstances(
      this.instances,
      this.providerName,
      this.fleets.api,
      this.fleets.instanceTagsKey,
      view.observations,
      ownerOf,
    );
    const fulfilment = new Map<string, Fulfilment>();
    for (const request of watched) fulfilment.set(request.requestId, await this.fulfilmentOf(request, fleets));
    const askedIds = new Set(asked);
    return { observations, missing: view.missing.filter((id) => askedIds.has(id)), fulfilment };
  }

  /**
   * Per fleet of the machines' requests: a live fleet left with no other live instance (HF holds
   * none of it after this return) is removed together with its instances in one call. Otherwise
   * a live `maintain` fleet's target is lowered by the units of the released machines it holds
   * (so that it does not replace them); then the machines are given back (terminated, or, when EC2
   * is reclaiming them, left to EC2); then fleets that hold no other live instance and have nothing
   * left to launch (an instant fleet, a maintain fleet lowered to 0, any other fleet no longer
   * fulfilling) are removed: instant ones with their (ended) instances, best effort, since
   * removing them is housekeeping; the others without. Idempotent: a second release finds the
   * machines no longer in their fleets and changes nothing.
   */
  async release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    if (machines.length === 0) return;
    const byId = new Map(requests.map((request) => [request.requestId, request]));
    const requestOf = new Map<string, Request>();
    for (const machine of machines) {
      const request = byId.get(machine.requestId);
      for (const fleetId of this.fleets.fleetIdsOf(request)) if (request) requestOf.set(fleetId, request);
    }
    const fleets = await this.fleets.describeFleets([...requestOf.keys()]);
    const now = this.clock.now();
    const released = new Set(machines.map((machine) => machine.machineId));
    const members = new Map<string, string[]>();
    for (const [id, fleet] of fleets) members.set(id, await this.fleets.members(fleet));
    // One look at the machines and the fleets' other instances: what is still alive.
    const seen = await this.instances.describe([], unique([...released, ...[...members.values()].flat()]));
    const alive = new Set(seen.observations.filter((o) => !isEndedState(o.state)).map((o) => o.machineId));
    const ended = new Set(seen.observations.filter((o) => isEndedState(o.state)).map((o) => o.machineId));
    const states = new Map([...fleets].map(([id, fleet]) => [id, this.fleets.state(fleet, now, requestOf.get(id))]));
    // Whether HF holds another live instance of the fleet besides the machines it returns now.
    const holdsOthers = new Map([...members].map(([id, own]) => [id, own.some((machineId) => !released.has(machineId) && alive.has(machineId))]));

    // A fleet left with no machine HF holds goes in one call, with its instances: nothing to lower
    // first, and no window in which a maintain fleet replaces what was returned.
    const whole = new Set<string>();
    for (const [id, own] of members) {
      if (states.get(id)?.live && own.some((machineId) => released.has(machineId)) && !holdsOthers.get(id)) whole.add(id);
    }
    try {
      await this.fleets.remove([...whole], true);
    } catch {
      // Given back the long way below instead: targets lowered, machines terminated, fleets removed.
      whole.clear();
    }
    const gone = new Set([...whole].flatMap((id) => members.get(id) ?? []));

    const lowered = new Map<string, number>();
    for (const [id, fleet] of fleets) {
      const state = states.get(id);
      if (whole.has(id) || state?.type !== 'maintain' || !state.live) continue;
      const releasedHere = machines.filter((machine) => (members.get(id) ?? []).includes(machine.machineId));
      if (releasedHere.length > 0) lowered.set(id, await this.fleets.lowerTarget(fleet, releasedHere));
    }
    // Machines seen ended (a repeated return) or gone with their fleet are not terminated again;
    // one EC2 does not show yet (just launched) is, to be sure.
    await this.instances.giveBack(machines.filter((machine) => !ended.has(machine.machineId) && !gone.has(machine.machineId)));

    const instant: string[] = [];
    const others: string[] = [];
    for (const [id, state] of states) {
      if (whole.has(id) || !state.live || holdsOthers.get(id)) continue;
      // Nothing left to launch: an instant fleet; a maintain fleet lowered to 0; any other no longer fulfilling.
      const target = lowered.get(id);
      const done = state.type === 'instant' || (target !== undefined ? target === 0 : !state.fulfilling);
      if (done) (state.type === 'instant' ? instant : others).push(id);
    }
    try {
      await this.fleets.remove(instant, true);
    } catch {
      // An instant fleet launches nothing after its creation: removing it is housekeeping, and
      // must not fail a release whose machines are terminated (moto, for one, refuses to delete
      // an instant fleet whose instances have all ended).
    }
    await this.fleets.remove(others, false);
  }

  /** Stops the cloud launching more for the request (see {@link FleetApi.stop}); its machines are kept. Idempotent. */
  async abandon(request: Request): Promise<void> {
    const fleets = await this.fleets.describeFleets(this.fleets.fleetIdsOf(request));
    const now = this.clock.now();
    await this.fleets.stop([...fleets.values()].filter((fleet) => this.fleets.state(fleet, now).live));
  }

  /**
   * The instances tagged with the provider name (shared by the EC2 shapes) and every live fleet
   * tagged with it, with the instances each holds. Read-only.
   */
  async inventory(): Promise<CloudInventory> {
    const instances = await this.instances.tagged(this.providerName);
    const holders: CapacityHolder[] = [];
    const now = this.clock.now();
    for (const fleet of await this.fleets.ownFleets()) {
      const state = this.fleets.state(fleet, now);
      const tags: FleetTags = fleetTags(state.tags);
      holders.push({
        api: this.fleets.api,
        kind: this.fleets.kind,
        id: state.id,
        ...(tags.requestId ? { requestId: tags.requestId } : {}),
        instanceIds: await this.fleets.members(fleet),
      });
    }
    return { instances, holders };
  }

  /** Removes fleets together with their instances. Idempotent: fleets no longer live are skipped. */
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    const fleets = await this.fleets.describeFleets(holders.map((holder) => holder.id));
    const now = this.clock.now();
    const live = new Set(
      [...fleets.values()]
        .map((fleet) => this.fleets.state(fleet, now))
        .filter((state) => state.live)
        .map((state) => state.id),
    );
    // A fleet holding nothing is removed without terminating (there is nothing to end, and some
    // EC2 look-alikes refuse to terminate an empty list).
    const withInstances = holders.filter((holder) => live.has(holder.id) && holder.instanceIds.length > 0).map((holder) => holder.id);
    await this.fleets.remove(withInstances, true);
    await this.fleets.remove(
      [...live].filter((id) => !withInstances.includes(id)),
      false,
    );
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.instances.lookup(this.providerName, machineIds);
  }

  /** `fulfilling` while a fleet of the request still launches; the API's reason when it is short. */
  private async fulfilmentOf(request: Request, fleets: ReadonlyMap<string, F>): Promise<Fulfilment> {
    const own = this.fleets.fleetIdsOf(request).flatMap((id) => {
      const fleet = fleets.get(id);
      return fleet === undefined ? [] : [fleet];
    });
    const now = this.clock.now();
    const fulfilling = own.some((fleet) => this.fleets.state(fleet, now).fulfilling);
    const reason = await this.fleets.reason(request, own, fulfilling);
    return { state: fulfilling ? 'fulfilling' : 'settled', ...(reason ? { reason } : {}) };
  }
}

/**
 * A fleet shape's capacity provider (EC2 Fleet, Spot Fleet): `acquire` and `preflight` are its
 * own; describe, release, abandon, inventory, dispose and lookup are the shared {@link FleetMechanism}
 * over its {@link FleetApi}.
 */
export abstract class FleetCapacityProvider<F> implements CapacityProvider {
  abstract readonly api: ProviderApi;
  protected readonly mechanism: FleetMechanism<F>;

  protected constructor(
    protected readonly fleets: FleetApi<F>,
    protected readonly instances: Ec2Instances,
    providerName: string,
    protected readonly clock: Clock,
  ) {
    this.mechanism = new FleetMechanism(fleets, instances, providerName, clock);
  }

  abstract acquire(input: AcquireInput): Promise<AcquireResult>;
  abstract preflight(template: Template): Promise<PreflightResult>;

  /** See {@link FleetMechanism.describe}. */
  describe(input: DescribeInput): Promise<DescribeResult> {
    return this.mechanism.describe(input);
  }

  /** See {@link FleetMechanism.release}. */
  release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    return this.mechanism.release(machines, requests);
  }

  /** Stops the request's fleets launching more, keeping its machines (see {@link FleetApi.stop}). Idempotent. */
  abandon(request: Request, _machines: readonly Machine[] = []): Promise<void> {
    return this.mechanism.abandon(request);
  }

  /** See {@link FleetMechanism.inventory}. */
  inventory(): Promise<CloudInventory> {
    return this.mechanism.inventory();
  }

  /** See {@link FleetMechanism.dispose}. */
  dispose(holders: readonly CapacityHolder[]): Promise<void> {
    return this.mechanism.dispose(holders);
  }

  lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.mechanism.lookup(machineIds);
  }
}
