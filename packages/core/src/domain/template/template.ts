import type { SettingValue } from '../settings-schema';
import type { CapacityPool } from '../capacity-pool';
/** The kind of an HF template attribute, as HF's `attributes` name it. */
export type AttributeKind = 'String' | 'Numeric' | 'Boolean';
/** HF attribute: `[kind, value-as-string]`, e.g. `["Numeric", "2"]`. */
export type AttributeValue = readonly [AttributeKind, string];
/** HF template attributes by name (`type`, `ncores`, `nram`, ...). */
export type TemplateAttributes = Readonly<Record<string, AttributeValue>>;

/**
 * How a template's machines are bought (IBM's meanings): `ondemand`; `spot` (with a
 * `percentOnDemand` share on-demand); `heterogeneous`: spot first, then on-demand for what spot
 * did not fill (see {@link purchaseOf}).
 */
export type PriceType = 'ondemand' | 'spot' | 'heterogeneous';
/**
 * The name of the capacity provider a template launches with: a provider names its own
 * (`RunInstances`, `EC2Fleet`, `SpotFleet` and `ASG` are the AWS ones; a plugin registers others,
 * see {@link ProviderFactory}).
 */
export type ProviderApi = string;
/** The EC2 Fleet / Spot Fleet request type a template launches with. */
export type FleetType = 'instant' | 'request' | 'maintain';

/** Every {@link PriceType}. */
export const PRICE_TYPES: readonly PriceType[] = ['ondemand', 'spot', 'heterogeneous'];
/** What a template id may be: 1 to 64 letters, digits, `_` and `-`. */
export const TEMPLATE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A machine template as the provider knows it (IBM `awsprov_templates.json` names, normalised:
 * `subnetIds` is always an array, `instanceTags` a map). Templates are immutable values.
 */
export interface Template {
  readonly templateId: string;
  /** Most machines of this template held at once; -1 = unlimited. */
  readonly maxNumber: number;
  /** HF attributes as configured; `ncpus`/`nram` may be missing and are then derived. */
  readonly attributes: TemplateAttributes;
  readonly imageId: string;
  readonly subnetIds: readonly string[];
  /** One instance type, or the first key of `vmTypes`. */
  readonly vmType?: string;
  /** Instance types with their weights (`{"t3.medium": 1}`). */
  readonly vmTypes?: Readonly<Record<string, number>>;
  /**
   * `heterogeneous` only: the instance types (with weights, as `vmTypes`) of the on-demand
   * requests that follow the spot one; unset = `vmTypes`.
   */
  readonly vmTypesOnDemand?: Readonly<Record<string, number>>;
  /**
   * IBM's instance type priorities (`{"type": n}`, lower first, as EC2 orders overrides): sent as
   * each override's `Priority` (an ASG orders its overrides by them), and the default strategies
   * become the prioritized ones. Unset: template order.
   */
  readonly vmTypesPriority?: Readonly<Record<string, number>>;
  /**
   * Attribute-based instance type selection (EC2Fleet, SpotFleet, ASG): EC2's
   * `InstanceRequirements` in camelCase (`{"vCpuCount": {"min": 2, "max": 8}, "memoryMiB": {"min":
   * 4096}, "cpuManufacturers": ["intel"]}`), instead of or beside `vmTypes`. Every matching type
   * counts one unit; HF's attributes come from the smallest type that matches.
   */
  readonly instanceRequirements?: Readonly<Record<string, unknown>>;
  readonly priceType: PriceType;
  readonly providerApi: ProviderApi;
  readonly fleetType?: FleetType;
  readonly keyName?: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceTags: Readonly<Record<string, string>>;
  readonly instanceProfile?: string;
  readonly userData?: string;
  readonly rootDeviceVolumeSize?: number;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly placementGroupName?: string;
  readonly tenancy?: string;
  readonly launchTemplateId?: string;
  readonly launchTemplateVersion?: string;
  readonly maxSpotPrice?: number;
  readonly percentOnDemand?: number;
  readonly allocationStrategy?: string;
  readonly allocationStrategyOnDemand?: string;
  readonly fleetRole?: string;
  readonly spotFleetRequestExpiry?: number;
  readonly poolsCount?: number;
  /** An On-Demand Capacity Reservation to launch into (`cr-...`): targeted, used first. */
  readonly capacityReservationId?: string;
  /** A resource group of Capacity Reservations to launch into (its ARN). */
  readonly capacityReservationResourceGroupArn?: string;
  /** `open` (any open reservation that matches, then on-demand), `none`, or `capacity-reservations-only`. */
  readonly capacityReservationPreference?: string;
  /** A Capacity Block for ML (its `cr-...` id): instances launch into the block (market type `capacity-block`). */
  readonly capacityBlockId?: string;
  /**
   * The template's settings for its provider, as the provider's {@link ProviderFactory.templateSettings}
   * schema defines them, checked when the configuration loads (absent for the AWS providers, whose
   * settings are the fields above).
   */
  readonly providerSettings?: Readonly<Record<string, SettingValue>>;
}

/** The instance types a template may launch, in preference order. */
export function templateInstanceTypes(template: Template): string[] {
  const types = new Set<string>();
  if (template.vmType) types.add(template.vmType);
  for (const type of Object.keys(template.vmTypes ?? {})) types.add(type);
  return [...types];
}

/**
 * Capacity units one instance of `instanceType` counts for: its weight in `vmTypes` (else in
 * `vmTypesOnDemand`), else 1. With weights, `machineCount` and `maxNumber` count units (as IBM's
 * provider does).
 */
export function instanceWeight(template: Template, instanceType: string): number {
  const weight = template.vmTypes?.[instanceType] ?? template.vmTypesOnDemand?.[instanceType];
  return typeof weight === 'number' && weight > 0 ? weight : 1;
}

/**
 * The launch priority of an instance type, lower first: its `vmTypesPriority` value; a type the
 * map does not name comes after every named one; without `vmTypesPriority`, its position `index`
 * in the template's order.
 */
export function instancePriority(template: Template, instanceType: string, index: number): number {
  const priorities = template.vmTypesPriority;
  if (!priorities) return index;
  const stated = priorities[instanceType];
  if (typeof stated === 'number') return stated;
  return Math.max(0, ...Object.values(priorities)) + 1;
}

/** What one launch attempt of a template buys: how many of its units on-demand, from which types. */
export interface Purchase {
  /** Units to buy on-demand (0..count); the rest is spot. */
  readonly onDemand: number;
  /** Instance types, in preference order. */
  readonly instanceTypes: readonly string[];
  /** `spot-first`: the first attempt of a heterogeneous template, which may leave the rest to on-demand. */
  readonly phase: 'single' | 'spot-first' | 'on-demand-rest';
}

/**
 * IBM's price types, per launch attempt of `count` units:
 *
 * - `ondemand`: every unit on-demand.
 * - `spot`: `round(count * percentOnDemand / 100)` units on-demand (half up; unset = 0), the rest
 *   spot: IBM's "percentage of On-Demand capacity in a Spot Fleet request".
 * - `heterogeneous`: the first attempt buys as `spot` does (phase `spot-first`); every later
 *   attempt, which is made only for what the earlier ones left short, buys all of its units
 *   on-demand, from `vmTypesOnDemand` when set (phase `on-demand-rest`): IBM's Spot Fleet first,
 *   then On-Demand for the remaining capacity.
 */
export function purchaseOf(template: Template, count: number, attempt: number): Purchase {
  const types = templateInstanceTypes(template);
  if (template.priceType === 'ondemand') return { onDemand: count, instanceTypes: types, phase: 'single' };
  if (template.priceType === 'heterogeneous' && attempt > 1) {
    return { onDemand: count, instanceTypes: onDemandInstanceTypes(template), phase: 'on-demand-rest' };
  }
  const share = Math.min(count, Math.max(0, Math.round((count * (template.percentOnDemand ?? 0)) / 100)));
  return { onDemand: share, instanceTypes: types, phase: template.priceType === 'heterogeneous' ? 'spot-first' : 'single' };
}

/**
 * The instance types a template buys on-demand: for `heterogeneous`, `vmTypesOnDemand` when it names
 * any (the on-demand rest after spot); otherwise the template's own types.
 */
function onDemandInstanceTypes(template: Template): string[] {
  const onDemand = template.priceType === 'heterogeneous' ? Object.keys(template.vmTypesOnDemand ?? {}) : [];
  return onDemand.length > 0 ? onDemand : templateInstanceTypes(template);
}

/** `{"team": "hpc", "project": "risk"}` -> `"team=hpc;project=risk"` (HF's tag string). */
export function formatInstanceTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

/** `"team=hpc;project=risk"` -> `{"team": "hpc", "project": "risk"}`; empty parts are skipped. */
export function parseInstanceTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of (text ?? '').split(';')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      tags[trimmed] = '';
    } else {
      tags[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
    }
  }
  return tags;
}

/**
 * Every capacity pool a template may launch in: its instance types x its subnets (`''` when it
 * names none) x the ways it buys (spot for `spot`/`heterogeneous`; on-demand for `ondemand`, a
 * spot template with a `percentOnDemand` share, and the on-demand rest of a heterogeneous one,
 * from `vmTypesOnDemand` when set). Empty when the template names no instance type (its launch
 * template decides).
 */
export function templatePools(template: Template): CapacityPool[] {
  const locations = template.subnetIds.length > 0 ? template.subnetIds : [''];
  const types = templateInstanceTypes(template);
  const onDemandTypes = onDemandInstanceTypes(template);
  const pools: CapacityPool[] = [];
  const add = (list: readonly string[], priceType: CapacityPool['priceType']): void => {
    for (const instanceType of list) for (const location of locations) pools.push({ instanceType, location, priceType });
  };
  if (template.priceType !== 'ondemand') add(types, 'spot');
  if (template.priceType !== 'spot' || (template.percentOnDemand ?? 0) > 0) add(onDemandTypes, 'ondemand');
  return pools;
}
