import {
  HostFactoryError,
  describeRefusal,
  purchaseOf,
  poolKey,
  type CapacityPool,
  type UnavailablePools,
  TAG_LAUNCH_ATTEMPT,
  TAG_PROVIDER_NAME,
  TAG_REQUEST_ID,
  parseInstanceTags,
  type MachineObservation,
  type ProviderApi,
  type Purchase,
  type Request,
  type Template,
} from '@open-hostfactory/core';
import { apiShape } from '@open-hostfactory/aws-common';
import type { Ec2Instances } from './ec2-instances';
import { launchTags, tagValue } from './tags';

/**
 * What the fleet shapes (EC2 Fleet, Spot Fleet) share: how long a fleet may launch, the mapping
 * of IBM's strategy names to an API's values, price formatting, and tagging the instances a fleet
 * launched with the tags of the request they belong to. What an attempt buys (on-demand share,
 * instance types) is core's {@link purchaseOf}.
 */

/** IBM's default `spotFleetRequestExpiry` (minutes), used for the spot part of a heterogeneous template. */
export const DEFAULT_SPOT_FLEET_REQUEST_EXPIRY_MIN = 30;

/**
 * Epoch ms a fleet stops launching (its ValidUntil): the request's capacity deadline, or earlier
 * with `spotFleetRequestExpiry` (minutes). The spot part of a heterogeneous template (phase
 * `spot-first`) ends sooner still: at IBM's 30 minutes when the template states no expiry, and
 * never later than halfway to the deadline, so that the on-demand requests for what spot did not
 * fill have the other half.
 */
export function validUntil(template: Template, deadline: number, now: number, phase: Purchase['phase'] = 'single'): number {
  const stated = template.spotFleetRequestExpiry;
  const expiry = stated !== undefined && stated > 0 ? stated : phase === 'spot-first' ? DEFAULT_SPOT_FLEET_REQUEST_EXPIRY_MIN : undefined;
  let until = expiry === undefined ? deadline : Math.min(deadline, now + expiry * 60_000);
  if (phase === 'spot-first') until = Math.min(until, now + Math.max(0, Math.floor((deadline - now) / 2)));
  return until;
}

/**
 * The API value of a template's strategy (`table` maps IBM's names; the API's own spellings are
 * accepted as they are); undefined when the template sets none; TEMPLATE_INVALID naming the field
 * for anything else.
 */
export function mapStrategy<T extends string>(
  template: Template,
  field: string,
  value: string | undefined,
  table: Readonly<Record<string, T>>,
): T | undefined {
  if (!value) return undefined;
  const mapped = table[value] ?? Object.values(table).find((apiValue) => apiValue === value);
  if (!mapped) {
    const names = [...new Set(Object.keys(table).filter((key) => !key.includes('-')))];
    throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}': ${field} '${value}' is not one of ${names.join(', ')}`, {
      details: { templateId: template.templateId, field, value },
    });
  }
  return mapped;
}

/** A price as EC2 takes it: a decimal string without float noise. */
export function formatPrice(price: number): string {
  return String(Number(price.toFixed(6)));
}

/**
 * Claims the instances a fleet launched for its requests: an instance without our request tag
 * (request/maintain fleets launch from a per-template launch template) is tagged with its
 * request's `launchTags` (template tags taken from `providerData[instanceTagsKey]`) and observed
 * as that request's, so tag lookups (crash recovery, orphan sweeps) find it later.
 */
export async function claimFleetInstances(
  instances: Ec2Instances,
  providerName: string,
  providerApi: ProviderApi,
  instanceTagsKey: string,
  observations: readonly MachineObservation[],
  ownerOf: ReadonlyMap<string, Request>,
): Promise<MachineObservation[]> {
  const untagged = new Map<string, { request: Request; ids: string[] }>();
  const result = observations.map((observation) => {
    const owner = ownerOf.get(observation.machineId);
    if (!owner || observation.requestId !== undefined) return observation;
    const entry = untagged.get(owner.requestId) ?? { request: owner, ids: [] };
    entry.ids.push(observation.machineId);
    untagged.set(owner.requestId, entry);
    return {
      ...observation,
      requestId: owner.requestId,
      ...(observation.templateId || !owner.templateId ? {} : { templateId: owner.templateId }),
    };
  });
  for (const { request, ids } of untagged.values()) {
    await instances.tag(
      ids,
      launchTags({
        providerName,
        providerApi,
        requestId: request.requestId,
        templateId: request.templateId ?? '',
        instanceTags: parseInstanceTags(request.providerData[instanceTagsKey]),
      }),
    );
  }
  return result;
}

/** A fleet's tags as our tag contract reads them. */
export interface FleetTags {
  readonly providerName?: string;
  readonly requestId?: string;
  readonly attempt?: number;
}

export function fleetTags(tags: readonly { Key?: string; Value?: string }[] | undefined): FleetTags {
  const attempt = Number(tagValue(tags, TAG_LAUNCH_ATTEMPT));
  const providerName = tagValue(tags, TAG_PROVIDER_NAME);
  const requestId = tagValue(tags, TAG_REQUEST_ID);
  return {
    ...(providerName === undefined ? {} : { providerName }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(Number.isInteger(attempt) && attempt > 0 ? { attempt } : {}),
  };
}

/** What an override of either fleet API names: its instance type and subnet (either may be absent). */
interface PoolOverride {
  readonly InstanceType?: string | undefined;
  readonly SubnetId?: string | undefined;
}

/**
 * The overrides a fleet may use: an override goes when its pool (type x subnet) is known
 * unavailable for every way the fleet buys (`buys`: spot, on-demand or both); the fleet then
 * launches from the others. Overrides that name no type are kept (their launch template decides).
 * Throws INSUFFICIENT_CAPACITY (transient, naming every pool and why) when none is left.
 */
export async function availableOverrides<O extends PoolOverride>(
  memory: UnavailablePools,
  template: Template,
  overrides: readonly O[],
  buys: readonly CapacityPool['priceType'][],
): Promise<O[]> {
  const poolsOf = (override: O): CapacityPool[] =>
    override.InstanceType
      ? buys.map((priceType) => ({ instanceType: override.InstanceType as string, location: override.SubnetId ?? '', priceType }))
      : [];
  const known = await memory.find(overrides.flatMap(poolsOf));
  if (known.size === 0) return [...overrides];
  const kept = overrides.filter((override) => {
    const pools = poolsOf(override);
    return pools.length === 0 || pools.some((pool) => !known.has(poolKey(pool)));
  });
  if (kept.length === 0 && overrides.length > 0) throw refusedLately(template, overrides.flatMap(poolsOf), known);
  return kept;
}

/** INSUFFICIENT_CAPACITY (transient) for a launch that asks nothing: every pool of `pools` was refused lately, each named with why. */
export function refusedLately(template: Template, pools: readonly CapacityPool[], known: ReadonlyMap<string, string>): HostFactoryError {
  const reasons = pools.map((pool) => describeRefusal(pool, known.get(poolKey(pool))));
  return new HostFactoryError(
    'INSUFFICIENT_CAPACITY',
    `Template '${template.templateId}': every capacity pool was refused lately, none asked: ${reasons.join('; ')}`,
    {
      transient: true,
      details: { templateId: template.templateId },
    },
  );
}

/**
 * Attribute-based overrides of a template with `instanceRequirements`: one per subnet (one with
 * none when it names no subnet), with EC2's `InstanceRequirements` (camelCase turned into the API
 * shape) and, when given, the spot price under the API's own key. Empty without requirements.
 */
export function requirementOverrides<K extends 'MaxPrice' | 'SpotPrice'>(
  template: Template,
  priceKey: K,
  price: string | undefined,
): ({ InstanceRequirements: never; SubnetId?: string } & Partial<Record<K, string>>)[] {
  if (!template.instanceRequirements) return [];
  const requirements = apiShape(template.instanceRequirements) as never;
  const subnets: (string | undefined)[] = template.subnetIds.length > 0 ? [...template.subnetIds] : [undefined];
  return subnets.map(
    (subnetId) =>
      ({
        InstanceRequirements: requirements,
        ...(subnetId ? { SubnetId: subnetId } : {}),
        ...(price !== undefined ? { [priceKey]: price } : {}),
      }) as { InstanceRequirements: never; SubnetId?: string } & Partial<Record<K, string>>,
  );
}

/** What one fleet attempt buys ({@link purchaseOf}), and the ways it buys (for the pools it may use). */
export interface FleetPurchase extends Purchase {
  readonly buys: readonly CapacityPool['priceType'][];
}

/**
 * The purchase of one fleet attempt of `count` units. TEMPLATE_INVALID (`kind` names the API)
 * when the template names nothing to launch: no instance type, no `instanceRequirements` and no
 * launch template of its own.
 */
export function fleetPurchase(template: Template, count: number, attempt: number, kind: string): FleetPurchase {
  const purchase = purchaseOf(template, count, attempt);
  if (!template.launchTemplateId && purchase.instanceTypes.length === 0 && !template.instanceRequirements) {
    throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs vmType, vmTypes or instanceRequirements for ${kind}`, {
      details: { templateId: template.templateId },
    });
  }
  const buys: CapacityPool['priceType'][] = [];
  if (purchase.onDemand > 0) buys.push('ondemand');
  if (purchase.onDemand < count) buys.push('spot');
  return { ...purchase, buys };
}
