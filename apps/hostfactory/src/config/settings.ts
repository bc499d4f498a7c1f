import { CPU_COUNTINGS, editDistance } from '@open-hostfactory/core';
import {
  findProblems,
  OneOf,
  ProviderName,
  OptionalBoolean,
  OptionalInt,
  OptionalRegion,
  OptionalString,
  OptionalStringList,
  OptionalUrl,
} from './validation';
import { LOG_LEVELS, type LogLevel } from './app-config';
import { configError } from './config-error';
import type { ConfigDocument } from './read-config-file';
import { parseSize } from './parse-size';

const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'error',
  critical: 'error',
};

function toLevel(value: unknown): unknown {
  return typeof value === 'string' ? (LEVEL_ALIASES[value.trim().toLowerCase()] ?? value) : value;
}

function toSize(value: unknown): unknown {
  return parseSize(value) ?? value;
}

function secondsToMs(value: unknown, path: string): unknown {
  if (path.startsWith('AWS_')) return value;
  return typeof value === 'number' ? Math.round(value * 1000) : value;
}

function toLowerString(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

function envBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  return value;
}

function splitList(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value;
}

function envInt(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** A validation rule of one setting and the type of its validated value. */
interface Rule<T> {
  readonly decorator: PropertyDecorator;
  /** Never set: carries `T` for the {@link Settings} type. */
  readonly type?: T;
}

const text = (): Rule<string> => ({ decorator: OptionalString() });
const int = (min: number, max?: number): Rule<number> => ({ decorator: OptionalInt(min, max) });
const bool = (): Rule<boolean> => ({ decorator: OptionalBoolean() });
const list = (): Rule<string[]> => ({ decorator: OptionalStringList() });
const url = (): Rule<string> => ({ decorator: OptionalUrl() });
const region = (): Rule<string> => ({ decorator: OptionalRegion() });
const oneOf = <T extends string>(what: string, choices: readonly T[]): Rule<T> => ({ decorator: OneOf(what, choices, true) });

/** Where the value of a setting goes in AppConfig (which part reads it); `checked` is validated only. */
type Section = 'name' | 'checked' | 'provider' | 'storage' | 'logging' | 'caching' | 'monitoring';

interface SettingDef<K extends string, T> {
  readonly key: K;
  readonly section: Section;
  readonly rule: Rule<T>;
  /** Where a config file may state it, first match wins: IBM's flat names, then the guide's dotted YAML paths. */
  readonly files: readonly string[];
  /** Environment variables that override the files, first match wins. */
  readonly env?: readonly string[];
  /** Turns a well-typed raw file value into the setting; left as is otherwise so validation reports it. */
  readonly convert?: (value: unknown, path: string) => unknown;
  /** The same for environment values (strings). */
  readonly envConvert?: (value: unknown, path: string) => unknown;
}

function setting<K extends string, T>(
  key: K,
  section: Section,
  rule: Rule<T>,
  files: readonly string[],
  more: Pick<SettingDef<K, T>, 'env' | 'convert' | 'envConvert'> = {},
): SettingDef<K, T> {
  return { key, section, rule, files, ...more };
}

/**
 * Every setting of the plugin, once: its key in AppConfig, its rule, where files and the
 * environment state it. The rules class, the {@link Settings} type, the key lists the files and
 * the environment are read with, the known keys a file is checked against and the part of
 * AppConfig each lands in all come from this table. docs/configuration.md documents each row.
 */
export const SETTINGS = [
  setting('providerName', 'name', { decorator: ProviderName() } as Rule<string>, [], { env: ['HF_PROVIDER_NAME', 'PROVIDER_NAME'] }),
  // The guide's `provider.type`: this plugin is the `aws` type; anything else is refused.
  setting('providerType', 'checked', oneOf('provider type', ['aws'] as const), ['provider.type'], { convert: toLowerString }),
  // Plugin modules registering more capacity providers (paths relative to the stating file, or package names).
  setting('plugins', 'provider', list(), ['PROVIDER_PLUGINS', 'provider.plugins'], {
    env: ['PROVIDER_PLUGINS'],
    convert: splitList,
    envConvert: splitList,
  }),
  setting('region', 'provider', region(), ['AWS_REGION', 'provider.aws.region', 'provider.region'], { env: ['AWS_REGION'] }),
  setting('profile', 'provider', text(), ['AWS_PROFILE', 'provider.aws.profile', 'provider.profile'], { env: ['AWS_PROFILE'] }),
  setting('endpointUrl', 'provider', url(), ['AWS_ENDPOINT_URL', 'provider.aws.endpoint_url', 'provider.endpoint_url'], {
    env: ['AWS_ENDPOINT_URL'],
  }),
  setting('credentialFile', 'provider', text(), ['AWS_CREDENTIAL_FILE', 'provider.aws.credential_file', 'provider.credential_file']),
  // IBM's: a program printing temporary credentials, run again once its output is the margin old (seconds).
  setting('credentialScript', 'provider', text(), ['AWS_CREDENTIAL_SCRIPT', 'provider.aws.credential_script']),
  setting('credentialRenewMarginSec', 'provider', int(0), ['AWS_CREDENTIAL_RENEW_MARGIN', 'provider.aws.credential_renew_margin']),
  setting('eventsQueueUrl', 'provider', url(), ['AWS_EVENTS_QUEUE_URL', 'provider.aws.events_queue_url', 'provider.events_queue_url']),
  setting('proxyHost', 'provider', text(), ['AWS_PROXY_HOST', 'provider.aws.proxy_host', 'provider.proxy_host']),
  setting('proxyPort', 'provider', int(1, 65535), ['AWS_PROXY_PORT', 'provider.aws.proxy_port', 'provider.proxy_port']),
  setting('connectionTimeoutMs', 'provider', int(1), ['AWS_CONNECTION_TIMEOUT_MS', 'provider.aws.timeout', 'provider.timeout'], {
    convert: secondsToMs,
  }),
  setting('maxRetries', 'provider', int(0, 10), ['AWS_REQUEST_RETRY_ATTEMPTS', 'provider.aws.max_retries', 'provider.max_retries']),
  setting('describeRetryAttempts', 'provider', int(0, 10), [
    'AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS',
    'provider.aws.describe_retry_attempts',
    'provider.describe_retry_attempts',
  ]),
  setting('describeIntervalMs', 'provider', int(0, 60_000), [
    'AWS_DESCRIBE_REQUEST_INTERVAL',
    'provider.aws.describe_interval_ms',
    'provider.describe_interval_ms',
  ]),
  // How EGO counts a host's CPUs (ego.conf EGO_DEFINE_NCPUS): the ncpus derived from an instance type match it.
  setting(
    'egoDefineNcpus',
    'provider',
    oneOf('EGO_DEFINE_NCPUS', CPU_COUNTINGS),
    ['EGO_DEFINE_NCPUS', 'provider.aws.ego_define_ncpus', 'provider.ego_define_ncpus'],
    {
      convert: toLowerString,
    },
  ),
  // The cluster's name for IBM's user-data exports (`export clustername=...;` at %EXPORT_USER_DATA%).
  setting('clusterName', 'provider', text(), ['HF_CLUSTER_NAME', 'provider.cluster_name', 'provider.aws.cluster_name'], { env: ['HF_CLUSTER_NAME'] }),
  // IBM's: a returned spot instance EC2 is reclaiming is left to EC2 (false) or terminated anyway (true).
  setting('spotTerminateOnReclaim', 'provider', bool(), ['AWS_SPOT_TERMINATE_ON_RECLAIM', 'provider.aws.spot_terminate_on_reclaim']),
  // How long a capacity pool the cloud refused (type x subnet x price type) is skipped by every launch.
  setting('unavailableCapacityTtlSec', 'provider', int(0), [
    'AWS_UNAVAILABLE_CAPACITY_TTL_SEC',
    'provider.aws.unavailable_capacity_ttl',
    'provider.unavailable_capacity_ttl',
  ]),
  // Bootstrap protection: this many machines of a template failing in a row before they are ready hold it back.
  setting('bootstrapFailureLimit', 'provider', int(0), ['AWS_BOOTSTRAP_FAILURE_LIMIT', 'provider.aws.bootstrap_failure_limit']),
  setting('bootstrapCoolOffSec', 'provider', int(1), ['AWS_BOOTSTRAP_COOL_OFF_SEC', 'provider.aws.bootstrap_cool_off']),
  setting('pendingTimeoutSec', 'provider', int(1), ['AWS_INSTANCE_PENDING_TIMEOUT_SEC', 'provider.pending_timeout', 'provider.aws.pending_timeout']),
  setting('capacityTimeoutSec', 'provider', int(0), ['AWS_CAPACITY_TIMEOUT_SEC', 'provider.capacity_timeout', 'provider.aws.capacity_timeout']),
  setting('maxFailedLaunchAttempts', 'provider', int(1), [
    'AWS_MAX_FAILED_LAUNCH_ATTEMPTS',
    'provider.max_failed_launch_attempts',
    'provider.aws.max_failed_launch_attempts',
  ]),
  setting('connectionPoolSize', 'provider', int(1), [
    'AWS_CONNECTION_POOL_SIZE',
    'provider.aws.connection_pool_size',
    'provider.connection_pool_size',
  ]),
  // The action timeout when HF does not set HF_PROVIDER_ACTION_TIMEOUT (which, set, wins): no
  // call outlives it, so a launch claim older than that belongs to a dead call.
  setting('actionTimeoutSec', 'provider', int(1), ['AWS_ACTION_TIMEOUT_SEC', 'provider.action_timeout', 'provider.aws.action_timeout'], {
    env: ['HF_PROVIDER_ACTION_TIMEOUT'],
    envConvert: envInt,
  }),
  setting('orphanTimeoutSec', 'provider', int(1), ['AWS_ORPHAN_TIMEOUT_SEC', 'provider.orphan_timeout', 'provider.aws.orphan_timeout']),
  setting(
    'orphanAction',
    'provider',
    oneOf('orphan action', ['terminate', 'report'] as const),
    ['AWS_ORPHAN_ACTION', 'provider.orphan_action', 'provider.aws.orphan_action'],
    {
      convert: toLowerString,
    },
  ),
  setting('orphanGraceSec', 'provider', int(0), ['AWS_ORPHAN_GRACE_SEC', 'provider.orphan_grace', 'provider.aws.orphan_grace']),
  setting('orphanSweepIntervalSec', 'provider', int(1), [
    'AWS_ORPHAN_SWEEP_INTERVAL_SEC',
    'provider.orphan_sweep_interval',
    'provider.aws.orphan_sweep_interval',
  ]),
  setting('returnTimeoutSec', 'provider', int(1), ['AWS_RETURN_TIMEOUT_SEC', 'provider.return_timeout', 'provider.aws.return_timeout']),
  setting('storageType', 'storage', oneOf('storage type', ['sqlite', 'dynamodb'] as const), ['storage.type'], { convert: toLowerString }),
  setting('storagePath', 'storage', text(), ['storage.sqlite.path', 'storage.path']),
  setting('dynamodbTablePrefix', 'storage', text(), ['DYNAMODB_TABLE_PREFIX', 'storage.dynamodb.table_prefix']),
  setting('dynamodbRegion', 'storage', region(), ['DYNAMODB_REGION', 'storage.dynamodb.region']),
  setting('dynamodbEndpointUrl', 'storage', url(), ['DYNAMODB_ENDPOINT_URL', 'storage.dynamodb.endpoint_url']),
  setting('dynamodbBackupEnabled', 'storage', bool(), ['DYNAMODB_BACKUP_ENABLED', 'storage.dynamodb.backup_enabled']),
  // Both stores: SQLite purges closed requests this long after closing, DynamoDB lets its TTL expire them.
  setting('retentionDays', 'storage', int(1), [
    'STORAGE_RETENTION_DAYS',
    'storage.retention_days',
    'DYNAMODB_RETENTION_DAYS',
    'storage.dynamodb.retention_days',
  ]),
  setting('logLevel', 'logging', oneOf('log level', LOG_LEVELS), ['LogLevel', 'LOG_LEVEL', 'logging.level'], {
    env: ['LOG_LEVEL'],
    convert: toLevel,
    envConvert: toLevel,
  }),
  setting('logFilePath', 'logging', text(), ['LOG_FILE', 'logging.file_path', 'logging.file']),
  setting('logMaxSize', 'logging', int(1), ['LOG_MAX_SIZE', 'logging.max_size'], { convert: toSize }),
  setting('logBackupCount', 'logging', int(0), ['LOG_BACKUP_COUNT', 'logging.backup_count']),
  setting('logStderr', 'logging', bool(), ['LOG_STDERR', 'logging.stderr', 'logging.console_enabled', 'logging.console'], {
    env: ['LOG_STDERR'],
    envConvert: envBoolean,
  }),
  setting('instanceTypesTtlSec', 'caching', int(0), ['AWS_INSTANCE_TYPES_CACHE_TTL_SEC', 'caching.instance_types_ttl', 'caching.ttl']),
  setting('templateCheckTtlSec', 'caching', int(0), ['AWS_TEMPLATE_CHECK_CACHE_TTL_SEC', 'caching.template_cache_ttl']),
  setting('cachingEnabled', 'caching', bool(), ['AWS_CACHING_ENABLED', 'caching.enabled']),
  setting('metricsEnabled', 'monitoring', bool(), ['METRICS_ENABLED', 'monitoring.enabled']),
  setting('metricsFile', 'monitoring', text(), ['METRICS_FILE', 'monitoring.metrics_file']),
  setting('metricsEndpoint', 'monitoring', url(), ['METRICS_ENDPOINT', 'monitoring.metrics_endpoint']),
] as const;

type Entry = (typeof SETTINGS)[number];

export type SettingKey = Entry['key'];

/** Validated settings of one source (values are of the types AppConfig expects). */
export type Settings = Partial<{ [E in Entry as E['key']]: E extends SettingDef<string, infer T> ? T : never }>;

/** The keys that land in `AppConfig.provider`. */
export type ProviderSettingKey = Extract<Entry, { section: 'provider' }>['key'];
export const PROVIDER_SETTING_KEYS = SETTINGS.filter((entry) => entry.section === 'provider').map((entry) => entry.key) as ProviderSettingKey[];

/** The settings of one source, validated with class-validator: one rule per row of {@link SETTINGS}. */
export class SettingsRules {
  [key: string]: unknown;
}
for (const entry of SETTINGS) entry.rule.decorator(SettingsRules.prototype, entry.key);

/** Every key a config file may hold: the settings' paths and the templates. */
export const KNOWN_FILE_KEYS: ReadonlySet<string> = new Set([...SETTINGS.flatMap((entry) => entry.files), 'templates']);

/** The sections of the guide's YAML (a mapping whose keys are checked in turn). */
const KNOWN_SECTIONS: ReadonlySet<string> = new Set(
  [...KNOWN_FILE_KEYS].flatMap((path) =>
    path
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
);
/** One source's validated settings, and the key each was read from (`AWS_REGION`, `provider.aws.region`…). */
export interface SourceSettings {
  readonly settings: Settings;
  readonly statedAt: Readonly<Record<string, string>>;
}

/** Reads and validates the settings a config document states. Throws CONFIG_INVALID naming file and key. */
export function settingsFromDocument(document: ConfigDocument, file: string): SourceSettings {
  return readSettings(
    (entry) => entry.files,
    (path) => valueAt(document, path),
    (entry) => entry.convert,
    file,
  );
}

/** Reads and validates the settings the environment overrides (empty variables count as unset). */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): SourceSettings {
  return readSettings(
    (entry) => entry.env ?? [],
    (path) => {
      const value = env[path];
      return value === undefined || value.trim() === '' ? undefined : value.trim();
    },
    (entry) => entry.envConvert,
    'environment',
  );
}

type Converter = ((value: unknown, path: string) => unknown) | undefined;

function readSettings(
  pathsOf: (entry: Entry) => readonly string[],
  lookup: (path: string) => unknown,
  converterOf: (entry: Entry) => Converter,
  file: string,
): SourceSettings {
  const rules = new SettingsRules();
  const sourceKeys: Record<string, string> = {};
  for (const entry of SETTINGS) {
    for (const path of pathsOf(entry)) {
      const raw = lookup(path);
      if (raw === undefined || raw === null) continue;
      const convert = converterOf(entry);
      rules[entry.key] = convert ? convert(raw, path) : raw;
      sourceKeys[entry.key] = path;
      break;
    }
  }
  const [problem] = findProblems(rules);
  if (problem) throw configError(file, sourceKeys[problem.property] ?? problem.property, problem.reason);
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rules)) if (value !== undefined) settings[key] = value;
  return { settings: settings as Settings, statedAt: sourceKeys };
}

/**
 * Keys of IBM's `awsprov_config.json` (and of the integration guide's YAML) this plugin
 * deliberately does not support, with why: a file may hold them (it is IBM's own), they are
 * logged once at warn and have no effect. Listed in docs/configuration.md.
 */
export const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  AWS_KEY_FILE: 'SSH key files are not fetched: templates name a key pair (keyName) and EC2 injects it',
  INSTANCE_CREATION_TIMEOUT: 'use AWS_INSTANCE_PENDING_TIMEOUT_SEC (seconds a machine may stay pending)',
  AWS_TAG_InstanceID: 'instances carry hf:* tags (request, template, provider); an InstanceID tag is not added',
  'caching.config_cache_ttl':
    "the configuration is read and validated on every call (5-7 ms for JSON, 13-15 ms for YAML); a cache would keep the templates' user data in the work dir, which the plugin never stores in clear (docs/configuration.md#caching)",
  'provider.name':
    'the provider instance name comes from HF_PROVIDER_NAME (HF sets it; it also names the files read), so a name in the file cannot change it',
};

/** A key of a config file that is neither known nor deliberately unsupported. */
export interface UnknownKey {
  readonly key: string;
  readonly suggestion?: string;
}

/**
 * The keys of `document` no part of the plugin knows, and those it deliberately does not
 * support, in document order. Templates are checked by the template rules, not here.
 */
export function checkKeys(document: ConfigDocument): { unknown: UnknownKey[]; unsupported: string[] } {
  const unknown: UnknownKey[] = [];
  const unsupported: string[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (KNOWN_FILE_KEYS.has(path)) continue;
      if (path in UNSUPPORTED_KEYS) {
        unsupported.push(path);
        continue;
      }
      if (KNOWN_SECTIONS.has(path) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, path);
        continue;
      }
      const suggestion = closestKey(path);
      unknown.push({ key: path, ...(suggestion ? { suggestion } : {}) });
    }
  };
  walk(document, '');
  return { unknown, unsupported };
}

/** The known key nearest to `key` by edit distance, when near enough to be a typo. */
export function closestKey(key: string): string | undefined {
  return nearestName(key, [...KNOWN_FILE_KEYS, ...Object.keys(UNSUPPORTED_KEYS)]);
}

/** The name of `names` nearest to `key` (any case) by edit distance, when near enough to be a typo of it. */
export function nearestName(key: string, names: Iterable<string>): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of names) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (!best || distance < best.distance) best = { key: known, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** `valueAt({a: {b: 1}}, 'a.b')` -> 1; a key with a dot in it (IBM's flat names have none) is not supported. */
export function valueAt(document: ConfigDocument, path: string): unknown {
  let value: unknown = document;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
