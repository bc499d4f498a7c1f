import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseInstanceTags } from '@open-hostfactory/core';
import type { ProviderRegistry } from '../providers/registry';
import { configError } from './config-error';
import { nearestName } from './settings';

/** A template's values after renaming and reshaping, not yet validated. */
export interface TemplateCandidate {
  /** Template property -> value (core `Template` names). */
  readonly values: Record<string, unknown>;
  /** Template property -> the key the file used (`subnetId`, `max_number`…), for error messages. */
  readonly sourceKeys: Record<string, string>;
  /** The properties the entry states itself (not filled in by a default). */
  readonly stated: ReadonlySet<string>;
  /** Top-level keys of the entry no provider knows, with the nearest known key (a typo?). */
  readonly unknown: readonly { key: string; suggestion?: string }[];
  /** Keys of IBM's template format this plugin does not support (noticed, not honoured). */
  readonly unsupported: readonly string[];
}

/** Core `Template` property -> the names a file may use (IBM camelCase, then the guide's snake_case). */
const FIELD_NAMES: Readonly<Record<string, readonly string[]>> = {
  templateId: ['templateId', 'template_id'],
  maxNumber: ['maxNumber', 'max_number'],
  imageId: ['imageId', 'image_id'],
  subnetIds: ['subnetIds', 'subnet_ids', 'subnetId', 'subnet_id'],
  vmType: ['vmType', 'vm_type'],
  vmTypes: ['vmTypes', 'vm_types'],
  vmTypesOnDemand: ['vmTypesOnDemand', 'vm_types_on_demand'],
  vmTypesPriority: ['vmTypesPriority', 'vm_types_priority'],
  instanceRequirements: ['instanceRequirements', 'instance_requirements'],
  priceType: ['priceType', 'price_type'],
  providerApi: ['providerApi', 'provider_api'],
  fleetType: ['fleetType', 'fleet_type'],
  keyName: ['keyName', 'key_name'],
  securityGroupIds: ['securityGroupIds', 'security_group_ids'],
  instanceTags: ['instanceTags', 'instance_tags'],
  instanceProfile: ['instanceProfile', 'instance_profile'],
  userData: ['userData', 'user_data'],
  userDataScript: ['userDataScript', 'user_data_script'],
  rootDeviceVolumeSize: ['rootDeviceVolumeSize', 'root_device_volume_size'],
  volumeType: ['volumeType', 'volume_type'],
  iops: ['iops'],
  placementGroupName: ['placementGroupName', 'placement_group_name'],
  tenancy: ['tenancy'],
  launchTemplateId: ['launchTemplateId', 'launch_template_id'],
  launchTemplateVersion: ['launchTemplateVersion', 'launch_template_version'],
  maxSpotPrice: ['maxSpotPrice', 'max_spot_price'],
  percentOnDemand: ['percentOnDemand', 'percent_on_demand'],
  allocationStrategy: ['allocationStrategy', 'allocation_strategy'],
  allocationStrategyOnDemand: ['allocationStrategyOnDemand', 'allocation_strategy_on_demand'],
  fleetRole: ['fleetRole', 'fleet_role'],
  spotFleetRequestExpiry: ['spotFleetRequestExpiry', 'spot_fleet_request_expiry'],
  poolsCount: ['poolsCount', 'pools_count'],
  capacityReservationId: ['capacityReservationId', 'capacity_reservation_id'],
  capacityReservationResourceGroupArn: ['capacityReservationResourceGroupArn', 'capacity_reservation_resource_group_arn'],
  capacityReservationPreference: ['capacityReservationPreference', 'capacity_reservation_preference'],
  capacityBlockId: ['capacityBlockId', 'capacity_block_id'],
  providerSettings: ['providerSettings', 'provider_settings'],
};

/** Template properties every provider's templates may state; the others are the AWS providers' settings. */
const COMMON_PROPERTIES: ReadonlySet<string> = new Set(['templateId', 'maxNumber', 'priceType', 'providerApi', 'instanceTags', 'providerSettings']);
/** The AWS providers' template settings (a plugin provider's template may not state them). */
export const AWS_TEMPLATE_PROPERTIES: readonly string[] = Object.keys(FIELD_NAMES).filter((property) => !COMMON_PROPERTIES.has(property));

/**
 * Keys of IBM's awsprov_templates.json this plugin does not honour yet, with why: a template may
 * state them (IBM's files do); they are noticed once at warn and have no effect.
 */
export const UNSUPPORTED_TEMPLATE_KEYS: Readonly<Record<string, string>> = {
  onDemandTargetCapacityRatio: 'the on-demand share of a request is percentOnDemand (an integer percentage, IBM Symphony name)',
  ebsOptimized: 'EBS optimization is not set per template (current instance types are EBS-optimized by default)',
  interfaceType: 'network interfaces (EFA) are not set per template: use a launch template (launchTemplateId) that defines them',
  efaCount: 'network interfaces (EFA) are not set per template: use a launch template (launchTemplateId) that defines them',
  spotPrice: 'use maxSpotPrice (USD per instance-hour), which every capacity API honours',
  priority: 'template order is the priority (HF provisions from the first template first)',
};
/** Every top-level key a template entry may state. */
const KNOWN_TEMPLATE_KEYS: readonly string[] = [...Object.values(FIELD_NAMES).flat(), 'attributes'];

/** Attribute names whose plain numeric strings become `Numeric` (others become `String`). */
const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set(['ncpus', 'ncores', 'nram', 'nmem', 'mem', 'maxmem', 'swp', 'ndisks']);
/**
 * Template settings the integration guide writes under a template's `attributes:` (`vm_type`,
 * `image_id`, `subnet_ids`, `security_group_ids`, and any other template setting's name): an
 * entry so named that is not a `[kind, value]` pair is that setting, not an HF attribute.
 */
const SETTING_BY_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(FIELD_NAMES)
    .filter(([property]) => property !== 'templateId' && property !== 'maxNumber')
    .flatMap(([property, names]) => names.map((name): [string, string] => [name, property])),
);
const ATTRIBUTE_KINDS: ReadonlySet<unknown> = new Set(['String', 'Numeric', 'Boolean']);

function isAttributePair(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && ATTRIBUTE_KINDS.has(value[0]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitList(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  return value;
}

/**
 * HF attribute value: `["Numeric", "2"]` stays; a plain `2` / `"2"` (guide dialect) becomes
 * `["Numeric", "2"]`, `true` becomes `["Boolean", "true"]`, other text `["String", text]`.
 * Anything else is left as is for validation to report.
 */
export function normalizeAttribute(name: string, value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length === 2 && ATTRIBUTE_KINDS.has(value[0]) && ['number', 'boolean'].includes(typeof value[1])) {
      return [value[0], String(value[1])];
    }
    return value;
  }
  if (typeof value === 'number') return ['Numeric', String(value)];
  if (typeof value === 'boolean') return ['Boolean', String(value)];
  if (typeof value === 'string') {
    const numeric = NUMERIC_ATTRIBUTES.has(name) && /^\s*\d+(\.\d+)?\s*$/.test(value);
    return numeric ? ['Numeric', value.trim()] : ['String', value];
  }
  return value;
}

function looksLikePath(text: string): boolean {
  return /^(\/|\.\/|\.\.\/|~\/)/.test(text) && !text.includes('\n');
}

/**
 * Renames and reshapes one template entry of a file (either dialect) into core `Template`
 * names: `subnetIds` array, `instanceTags` map, plain attributes turned into HF pairs,
 * template settings written under `attributes:` (the guide's `vm_type`, `image_id`,
 * `subnet_ids`, `security_group_ids`...) taken as settings, `vmType` from them or the first
 * key of `vmTypes`, `priceType` default
 * 'ondemand', `providerApi` default 'SpotFleet' for a spot or heterogeneous template with a
 * `fleetRole` (IBM's Spot Fleet shape), else 'RunInstances', `userDataScript` read from its file
 * (relative to `baseDir`), `providerApi` as the registry spells it. Keys no provider knows are
 * returned in `unknown` (the loader refuses them), IBM's unsupported ones in `unsupported`.
 * Throws CONFIG_INVALID only when a user-data file cannot be read.
 */
export function normalizeTemplate(
  raw: Record<string, unknown>,
  file: string,
  keyPrefix: string,
  baseDir: string,
  registry: ProviderRegistry,
): TemplateCandidate {
  const values: Record<string, unknown> = {};
  const sourceKeys: Record<string, string> = {};
  for (const [property, names] of Object.entries(FIELD_NAMES)) {
    for (const name of names) {
      if (raw[name] === undefined || raw[name] === null) continue;
      values[property] = raw[name];
      sourceKeys[property] = name;
      break;
    }
  }
  const stated = new Set(Object.keys(values));
  const unsupported = Object.keys(raw).filter((key) => key in UNSUPPORTED_TEMPLATE_KEYS);
  const unknown = Object.keys(raw)
    .filter((key) => !KNOWN_TEMPLATE_KEYS.includes(key) && !(key in UNSUPPORTED_TEMPLATE_KEYS))
    .map((key) => {
      const suggestion = nearestName(key, KNOWN_TEMPLATE_KEYS);
      return { key, ...(suggestion ? { suggestion } : {}) };
    });

  if (isPlainObject(raw['attributes'])) {
    const attributes: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw['attributes'])) {
      const setting = SETTING_BY_NAME.get(name);
      if (setting !== undefined && !isAttributePair(value)) {
        // A setting stated at template level wins over the same one under attributes.
        if (values[setting] === undefined) {
          values[setting] = value;
          sourceKeys[setting] = `attributes.${name}`;
          stated.add(setting);
        }
        continue;
      }
      attributes[name] = normalizeAttribute(name, value);
    }
    values['attributes'] = attributes;
  } else {
    values['attributes'] = raw['attributes'] ?? {};
  }
  sourceKeys['attributes'] = 'attributes';

  values['subnetIds'] = splitList(values['subnetIds'] ?? []);
  values['securityGroupIds'] = splitList(values['securityGroupIds'] ?? []);

  const tags = values['instanceTags'];
  if (typeof tags === 'string') {
    values['instanceTags'] = parseInstanceTags(tags);
  } else if (isPlainObject(tags)) {
    values['instanceTags'] = Object.fromEntries(
      Object.entries(tags).map(([key, value]) => [key, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value]),
    );
  } else if (tags === undefined) {
    values['instanceTags'] = {};
  }

  if (values['vmType'] === undefined && isPlainObject(values['vmTypes'])) {
    const [first] = Object.keys(values['vmTypes']);
    if (first !== undefined) {
      values['vmType'] = first;
      sourceKeys['vmType'] = sourceKeys['vmTypes'] ?? 'vmTypes';
    }
  }

  values['priceType'] = typeof values['priceType'] === 'string' ? values['priceType'].trim().toLowerCase() : (values['priceType'] ?? 'ondemand');
  // No providerApi: IBM's Spot Fleet template (a spot or heterogeneous price type with a
  // fleetRole) is bought as IBM's provider buys it, with a Spot Fleet; anything else by RunInstances.
  const ibmSpotFleet = (values['priceType'] === 'spot' || values['priceType'] === 'heterogeneous') && values['fleetRole'] !== undefined;
  const api = values['providerApi'] ?? (ibmSpotFleet ? 'SpotFleet' : 'RunInstances');
  values['providerApi'] = typeof api === 'string' ? (registry.canonical(api) ?? api) : api;
  if (typeof values['launchTemplateVersion'] === 'number') values['launchTemplateVersion'] = String(values['launchTemplateVersion']);

  const script = values['userDataScript'];
  delete values['userDataScript'];
  if (typeof script === 'string') {
    values['userData'] = readUserData(script, file, `${keyPrefix}.${sourceKeys['userDataScript']}`, baseDir);
    sourceKeys['userData'] = sourceKeys['userDataScript'] ?? 'userDataScript';
  } else if (script !== undefined) {
    values['userData'] = script; // reported as "must be a string"
    sourceKeys['userData'] = sourceKeys['userDataScript'] ?? 'userDataScript';
  } else if (typeof values['userData'] === 'string' && looksLikePath(values['userData'])) {
    const path = resolveFrom(baseDir, values['userData']);
    if (existsSync(path)) values['userData'] = readUserData(path, file, `${keyPrefix}.${sourceKeys['userData']}`, baseDir);
  }

  // Keys the template does not state are named in the dialect it is written in.
  const guide = Object.keys(raw).some((key) => key.includes('_'));
  for (const [property, names] of Object.entries(FIELD_NAMES)) {
    if (sourceKeys[property] !== undefined) continue;
    sourceKeys[property] = guide ? (GUIDE_NAMES[property] ?? names[1] ?? names[0]) : (IBM_NAMES[property] ?? names[0]);
  }
  return { values, sourceKeys, stated, unknown, unsupported };
}

/** Names of absent keys in error messages, where they differ from the first name of each dialect. */
const IBM_NAMES: Readonly<Record<string, string>> = { subnetIds: 'subnetId' };
const GUIDE_NAMES: Readonly<Record<string, string>> = { vmType: 'attributes.vm_type' };

function resolveFrom(baseDir: string, path: string): string {
  if (path.startsWith('~/') && process.env['HOME']) return resolve(process.env['HOME'], path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function readUserData(path: string, file: string, key: string, baseDir: string): string {
  const full = resolveFrom(baseDir, path);
  try {
    return readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw configError(file, key, `user data file '${full}' cannot be read (${code})`, {}, error);
  }
}
