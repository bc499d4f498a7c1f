import { IsOptional, ValidateBy, ValidateIf, type ValidationArguments } from 'class-validator';
import { PRICE_TYPES, TEMPLATE_ID_PATTERN } from '@open-hostfactory/core';
import { Int, OneOf, OptionalInt, OptionalNumber, OptionalString, RequiredString } from './validation';

export const ATTRIBUTE_KINDS: readonly string[] = ['String', 'Numeric', 'Boolean'];
export const FLEET_TYPES: readonly string[] = ['instant', 'request', 'maintain'];
export const ALLOCATION_STRATEGIES: readonly string[] = [
  'capacityOptimized',
  'capacityOptimizedPrioritized',
  'diversified',
  'lowestPrice',
  'priceCapacityOptimized',
];
export const ON_DEMAND_ALLOCATION_STRATEGIES: readonly string[] = ['lowestPrice', 'prioritized'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutLaunchTemplate(args: ValidationArguments): boolean {
  return (args.object as TemplateRules).launchTemplateId === undefined;
}

/** A custom rule: `check` returns undefined when the value is fine, else the reason. */
function Rule(name: string, check: (value: unknown, args: ValidationArguments) => string | undefined): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args?: ValidationArguments): boolean => check(value, args as ValidationArguments) === undefined,
      defaultMessage: (args?: ValidationArguments): string => check(args?.value, args as ValidationArguments) ?? 'is invalid',
    },
  });
}

function badAttribute(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'must be a map of attribute name to [kind, value]';
  for (const [name, entry] of Object.entries(value)) {
    if (!Array.isArray(entry) || entry.length !== 2 || !ATTRIBUTE_KINDS.includes(entry[0] as string) || typeof entry[1] !== 'string') {
      return `entry '${name}' must be a [kind, value] pair with kind ${ATTRIBUTE_KINDS.join('|')} and a string value (got ${JSON.stringify(entry)})`;
    }
  }
  return undefined;
}

function badWeights(value: unknown): string | undefined {
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    return 'must be a non-empty map of instance type to weight ({"t3.medium": 1})';
  }
  const bad = Object.entries(value).find(([, weight]) => typeof weight !== 'number' || !(weight > 0));
  return bad ? `weight of '${bad[0]}' must be a number > 0` : undefined;
}

/** EC2 InstanceRequirements fields (camelCase) and the shape of each value. */
const REQUIREMENT_FIELDS: Readonly<Record<string, 'range' | 'list' | 'word' | 'number'>> = {
  vCpuCount: 'range',
  memoryMiB: 'range',
  memoryGiBPerVCpu: 'range',
  acceleratorCount: 'range',
  acceleratorTotalMemoryMiB: 'range',
  baselineEbsBandwidthMbps: 'range',
  networkBandwidthGbps: 'range',
  networkInterfaceCount: 'range',
  totalLocalStorageGB: 'range',
  cpuManufacturers: 'list',
  excludedInstanceTypes: 'list',
  allowedInstanceTypes: 'list',
  instanceGenerations: 'list',
  acceleratorTypes: 'list',
  acceleratorManufacturers: 'list',
  acceleratorNames: 'list',
  localStorageTypes: 'list',
  burstablePerformance: 'word',
  bareMetal: 'word',
  localStorage: 'word',
  requireHibernateSupport: 'word',
  spotMaxPricePercentageOverLowestPrice: 'number',
  onDemandMaxPricePercentageOverLowestPrice: 'number',
  maxSpotPriceAsPercentageOfOptimalOnDemandPrice: 'number',
};

/** What is wrong with an `instanceRequirements` value (EC2 checks the rest at the first request or `templates check`). */
function badRequirements(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'must be a map of EC2 InstanceRequirements fields ({"vCpuCount": {"min": 2}, "memoryMiB": {"min": 4096}})';
  for (const required of ['vCpuCount', 'memoryMiB']) {
    const range = value[required];
    if (!isPlainObject(range) || typeof range['min'] !== 'number') return `needs ${required} with a min (EC2 requires it)`;
  }
  for (const [field, inner] of Object.entries(value)) {
    const shape = REQUIREMENT_FIELDS[field];
    if (!shape) return `unknown field '${field}' (${Object.keys(REQUIREMENT_FIELDS).join(', ')})`;
    if (shape === 'range') {
      if (
        !isPlainObject(inner) ||
        Object.keys(inner).some((k) => k !== 'min' && k !== 'max') ||
        Object.values(inner).some((n) => typeof n !== 'number' || n < 0)
      ) {
        return `${field} must be {"min": n, "max": n} with numbers >= 0`;
      }
    } else if (shape === 'list') {
      if (!Array.isArray(inner) || inner.some((item) => typeof item !== 'string' || item === '')) return `${field} must be a list of strings`;
    } else if (shape === 'word') {
      if (typeof inner !== 'string' && typeof inner !== 'boolean') return `${field} must be a string (or true/false)`;
    } else if (typeof inner !== 'number' || inner < 0) {
      return `${field} must be a number >= 0`;
    }
  }
  return undefined;
}

export const CAPACITY_RESERVATION_PREFERENCES: readonly string[] = ['open', 'none', 'capacity-reservations-only'];

/** What is wrong with a reservation target: its form, another target beside it, or a price type reservations do not serve. */
function reservationProblem(value: unknown, form: RegExp, what: string, args: ValidationArguments): string | undefined {
  if (typeof value !== 'string' || !form.test(value)) return `must be ${what}`;
  const o = args.object as TemplateRules;
  const targets = [o.capacityReservationId, o.capacityReservationResourceGroupArn, o.capacityBlockId].filter((target) => target !== undefined);
  if (targets.length > 1) return 'is one of capacityReservationId, capacityReservationResourceGroupArn and capacityBlockId: name one';
  if (o.priceType !== 'ondemand') return 'needs priceType ondemand (reservations and Capacity Blocks serve on-demand capacity)';
  return undefined;
}

function badStringList(value: unknown, what: string): string | undefined {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    return `must be a list of ${what} (or one string)`;
  }
  return undefined;
}

/**
 * The rules every normalised template follows, whatever its provider. Built by assigning the
 * normalised plain values (no class-transformer); fields are `unknown` because the values are not
 * trusted yet. The provider name is checked against the registry by the loader.
 */
export class CommonTemplateRules {
  @RequiredString('is required (a string)')
  @Rule('templateIdPattern', (value) =>
    typeof value === 'string' && !TEMPLATE_ID_PATTERN.test(value) ? `'${value}' must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'` : undefined,
  )
  templateId?: unknown;

  @Int(-1) maxNumber?: unknown;

  @Rule('attributes', badAttribute) attributes?: unknown;

  @OneOf('priceType', PRICE_TYPES) priceType?: unknown;

  @Rule('instanceTags', (value) =>
    isPlainObject(value) && Object.values(value).every((tag) => typeof tag === 'string')
      ? undefined
      : "must be a tag string 'k=v;k2=v2' or a map of strings",
  )
  instanceTags?: unknown;
}

/** The rules of the AWS providers' templates: the common ones and IBM's template keys. */
export class TemplateRules extends CommonTemplateRules {
  /** Not checked here (the registry knows the names); read by the fleetRole rule. */
  providerApi?: unknown;

  @ValidateIf((o: TemplateRules) => o.launchTemplateId === undefined || o.imageId !== undefined)
  @RequiredString('is required unless launchTemplateId is set')
  imageId?: unknown;

  @Rule('subnetIds', (value, args) => {
    const bad = badStringList(value, 'subnet ids');
    if (bad) return bad;
    if ((value as unknown[]).length === 0 && withoutLaunchTemplate(args)) {
      return 'is required (at least one subnet) unless launchTemplateId is set';
    }
    return undefined;
  })
  subnetIds?: unknown;

  @ValidateIf(
    (o: TemplateRules) =>
      (o.launchTemplateId === undefined && o.vmTypes === undefined && o.instanceRequirements === undefined) || o.vmType !== undefined,
  )
  @RequiredString('vmType, vmTypes or instanceRequirements is required unless launchTemplateId is set')
  vmType?: unknown;

  @IsOptional()
  @Rule('instanceRequirements', (value, args) => {
    const o = args.object as TemplateRules;
    if (o.providerApi === 'RunInstances') return 'is not read by RunInstances, which launches named types (use EC2Fleet, SpotFleet or ASG)';
    return badRequirements(value);
  })
  instanceRequirements?: unknown;

  @IsOptional()
  @Rule('vmTypes', (value) => badWeights(value))
  vmTypes?: unknown;

  @IsOptional()
  @Rule('vmTypesOnDemand', (value, args) => {
    const o = args.object as TemplateRules;
    if (o.priceType !== 'heterogeneous' || (o.providerApi !== 'EC2Fleet' && o.providerApi !== 'SpotFleet')) {
      return 'is read only by a heterogeneous EC2Fleet or SpotFleet template (the instance types of its on-demand requests)';
    }
    const bad = badWeights(value);
    if (bad) return bad;
    const spot = isPlainObject(o.vmTypes) ? o.vmTypes : {};
    const differs = Object.entries(value as Record<string, unknown>).find(([type, weight]) => spot[type] !== undefined && spot[type] !== weight);
    return differs
      ? `weight of '${differs[0]}' must match its vmTypes weight (${String(spot[differs[0]])}): a type counts the same units either way`
      : undefined;
  })
  vmTypesOnDemand?: unknown;

  @IsOptional()
  @Rule('vmTypesPriority', (value, args) => {
    const o = args.object as TemplateRules;
    if (o.providerApi === 'RunInstances') return 'is not read by RunInstances, which launches one instance type (use EC2Fleet, SpotFleet or ASG)';
    if (!isPlainObject(value) || Object.keys(value).length === 0) return 'must be a non-empty map of instance type to priority ({"m5.large": 0})';
    const bad = Object.entries(value).find(([, rank]) => typeof rank !== 'number' || !Number.isInteger(rank) || rank < 0);
    if (bad) return `priority of '${bad[0]}' must be an integer >= 0 (lower first)`;
    const known = new Set([
      ...(typeof o.vmType === 'string' ? [o.vmType] : []),
      ...Object.keys(isPlainObject(o.vmTypes) ? o.vmTypes : {}),
      ...Object.keys(isPlainObject(o.vmTypesOnDemand) ? o.vmTypesOnDemand : {}),
    ]);
    const stranger = Object.keys(value).find((type) => !known.has(type));
    return stranger ? `names '${stranger}', which is not one of the template's instance types (vmType, vmTypes, vmTypesOnDemand)` : undefined;
  })
  vmTypesPriority?: unknown;

  @OneOf('fleetType', FLEET_TYPES, true) fleetType?: unknown;
  @OptionalString() keyName?: unknown;

  @Rule('securityGroupIds', (value) => badStringList(value, 'security group ids'))
  securityGroupIds?: unknown;

  @OptionalString() instanceProfile?: unknown;
  @OptionalString() userData?: unknown;
  @OptionalInt(1) rootDeviceVolumeSize?: unknown;
  @OptionalString() volumeType?: unknown;
  @OptionalInt(1) iops?: unknown;
  @OptionalString() placementGroupName?: unknown;
  @OneOf('tenancy', ['default', 'dedicated', 'host'], true) tenancy?: unknown;
  @OptionalString() launchTemplateId?: unknown;
  @OptionalString() launchTemplateVersion?: unknown;
  @OptionalNumber(0) maxSpotPrice?: unknown;
  // An ASG's heterogeneous capacity is this split for the group's life: no silent default there.
  // Elsewhere it is optional (0): the spot share of a spot template, the first request of a heterogeneous one.
  @ValidateIf((o: TemplateRules) => (o.priceType === 'heterogeneous' && o.providerApi === 'ASG') || o.percentOnDemand !== undefined)
  @Int(0, 100)
  @Rule('percentOnDemandUse', (value, args) => {
    const o = args.object as TemplateRules;
    if (typeof value !== 'number' || value === 0) return undefined;
    if (o.priceType !== 'spot' && o.priceType !== 'heterogeneous')
      return 'is read only with priceType spot or heterogeneous (an ondemand template buys everything on-demand)';
    if (o.providerApi === 'RunInstances')
      return 'is not read by RunInstances, which buys one price type per request: use EC2Fleet, SpotFleet or ASG for a share on-demand';
    return undefined;
  })
  percentOnDemand?: unknown;
  @OneOf('allocationStrategy', ALLOCATION_STRATEGIES, true) allocationStrategy?: unknown;
  @OneOf('allocationStrategyOnDemand', ON_DEMAND_ALLOCATION_STRATEGIES, true) allocationStrategyOnDemand?: unknown;
  @ValidateIf((o: TemplateRules) => o.providerApi === 'SpotFleet' || o.fleetRole !== undefined)
  @RequiredString('is required when providerApi is SpotFleet (the IAM role Spot Fleet acts with)')
  fleetRole?: unknown;
  @OptionalInt(0) spotFleetRequestExpiry?: unknown;
  @OptionalInt(1) poolsCount?: unknown;

  @IsOptional()
  @Rule('capacityReservationId', (value, args) => reservationProblem(value, /^cr-[0-9a-z]+$/, 'a Capacity Reservation id (cr-...)', args))
  capacityReservationId?: unknown;

  @IsOptional()
  @Rule('capacityReservationResourceGroupArn', (value, args) =>
    reservationProblem(
      value,
      /^arn:aws[a-z-]*:resource-groups:[^:]*:\d{12}:group\/.+$/,
      'a resource group ARN (arn:aws:resource-groups:...:group/...)',
      args,
    ),
  )
  capacityReservationResourceGroupArn?: unknown;

  @OneOf('capacityReservationPreference', CAPACITY_RESERVATION_PREFERENCES, true)
  @Rule('capacityReservationPreferenceTarget', (value, args) => {
    const o = args.object as TemplateRules;
    const targeted = o.capacityReservationId !== undefined || o.capacityReservationResourceGroupArn !== undefined || o.capacityBlockId !== undefined;
    return value === 'none' && targeted ? "is 'none' but the template names a reservation to launch into" : undefined;
  })
  capacityReservationPreference?: unknown;

  @IsOptional()
  @Rule('capacityBlockId', (value, args) => {
    const bad = reservationProblem(value, /^cr-[0-9a-z]+$/, 'a Capacity Block id (cr-...)', args);
    if (bad) return bad;
    const o = args.object as TemplateRules;
    if (o.providerApi !== 'RunInstances' && o.providerApi !== 'ASG') return 'is read by RunInstances and ASG templates only';
    return undefined;
  })
  capacityBlockId?: unknown;
}
