import type { SettingValue } from '../settings-schema';
/** The kind of an HF template attribute, as HF's `attributes` name it. */
export type AttributeKind = 'String' | 'Numeric' | 'Boolean';
/** HF attribute: `[kind, value-as-string]`, e.g. `["Numeric", "2"]`. */
export type AttributeValue = readonly [AttributeKind, string];
/** HF template attributes by name (`type`, `ncores`, `nram`, ...). */
export type TemplateAttributes = Readonly<Record<string, AttributeValue>>;

/** How a template's machines are bought: on demand, spot, or a mix (`percentOnDemand`). */
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
 * Capacity units one instance of `instanceType` counts for: its weight in `vmTypes`, else 1.
 * With weights, `machineCount` and `maxNumber` count units (as IBM's provider does).
 */
export function instanceWeight(template: Template, instanceType: string): number {
  const weight = template.vmTypes?.[instanceType];
  return typeof weight === 'number' && weight > 0 ? weight : 1;
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
