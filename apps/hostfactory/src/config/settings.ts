import { findProblems, OneOf, ProviderName, OptionalBoolean, OptionalInt, OptionalRegion, OptionalString, OptionalUrl } from './validation';
import { LOG_LEVELS, type LogLevel } from './app-config';
import { configError } from './config-error';
import type { ConfigDocument } from './read-config-file';
import { parseSize } from './parse-size';

/**
 * The scalar settings one source (a file or the environment) may state, validated with
 * class-validator. Every property is optional: a source states only what it changes.
 */
export class SettingsRules {
  @ProviderName() providerName?: unknown;
  @OptionalRegion() region?: unknown;
  @OptionalString() profile?: unknown;
  @OptionalUrl() endpointUrl?: unknown;
  @OptionalString() credentialFile?: unknown;
  @OptionalUrl() eventsQueueUrl?: unknown;
  @OptionalString() proxyHost?: unknown;
  @OptionalInt(1, 65535) proxyPort?: unknown;
  @OptionalInt(1) connectionTimeoutMs?: unknown;
  @OptionalInt(0, 10) maxRetries?: unknown;
  @OptionalInt(0) describeRetryAttempts?: unknown;
  @OptionalInt(0) describeIntervalMs?: unknown;
  @OptionalInt(1) pendingTimeoutSec?: unknown;
  @OptionalInt(0) capacityTimeoutSec?: unknown;
  @OptionalInt(1) maxFailedLaunchAttempts?: unknown;
  @OptionalInt(1) connectionPoolSize?: unknown;
  @OptionalInt(1) actionTimeoutSec?: unknown;
  @OptionalInt(1) orphanTimeoutSec?: unknown;
  @OneOf('orphan action', ['terminate', 'report'], true) orphanAction?: unknown;
  @OptionalInt(0) orphanGraceSec?: unknown;
  @OptionalInt(1) orphanSweepIntervalSec?: unknown;
  @OptionalInt(1) returnTimeoutSec?: unknown;
  @OneOf('storage type', ['sqlite', 'dynamodb'], true) storageType?: unknown;
  @OptionalString() storagePath?: unknown;
  @OptionalString() dynamodbTablePrefix?: unknown;
  @OptionalRegion() dynamodbRegion?: unknown;
  @OptionalUrl() dynamodbEndpointUrl?: unknown;
  @OptionalBoolean() dynamodbBackupEnabled?: unknown;
  @OptionalInt(1) dynamodbRetentionDays?: unknown;
  @OneOf('log level', LOG_LEVELS, true) logLevel?: unknown;
  @OptionalString() logFilePath?: unknown;
  @OptionalInt(1) logMaxSize?: unknown;
  @OptionalInt(0) logBackupCount?: unknown;
  @OptionalBoolean() logStderr?: unknown;
  @OptionalInt(0) instanceTypesTtlSec?: unknown;
  @OptionalInt(0) templateCheckTtlSec?: unknown;
  @OptionalBoolean() cachingEnabled?: unknown;
}

export type SettingKey = Exclude<keyof SettingsRules, symbol>;

/** Validated settings of one source (values are of the types AppConfig expects). */
export type Settings = Partial<{
  providerName: string;
  region: string;
  profile: string;
  endpointUrl: string;
  credentialFile: string;
  eventsQueueUrl: string;
  proxyHost: string;
  proxyPort: number;
  connectionTimeoutMs: number;
  maxRetries: number;
  describeRetryAttempts: number;
  describeIntervalMs: number;
  pendingTimeoutSec: number;
  capacityTimeoutSec: number;
  maxFailedLaunchAttempts: number;
  connectionPoolSize: number;
  actionTimeoutSec: number;
  orphanTimeoutSec: number;
  orphanAction: 'terminate' | 'report';
  orphanGraceSec: number;
  orphanSweepIntervalSec: number;
  returnTimeoutSec: number;
  storageType: 'sqlite' | 'dynamodb';
  storagePath: string;
  dynamodbTablePrefix: string;
  dynamodbRegion: string;
  dynamodbEndpointUrl: string;
  dynamodbBackupEnabled: boolean;
  dynamodbRetentionDays: number;
  logLevel: LogLevel;
  logFilePath: string;
  logMaxSize: number;
  logBackupCount: number;
  logStderr: boolean;
  instanceTypesTtlSec: number;
  templateCheckTtlSec: number;
  cachingEnabled: boolean;
}>;

interface SettingSpec {
  readonly key: SettingKey;
  /** Where a source may state it, first match wins (dotted paths into the document). */
  readonly paths: readonly string[];
  /** Turns a well-typed raw value into the setting; left as is otherwise so validation reports it. */
  readonly convert?: (value: unknown, path: string) => unknown;
}

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

/** Settings in provider files: IBM `awsprov_config.json` names, then the guide's YAML paths. */
const FILE_SETTINGS: readonly SettingSpec[] = [
  { key: 'region', paths: ['AWS_REGION', 'provider.aws.region', 'provider.region'] },
  { key: 'profile', paths: ['AWS_PROFILE', 'provider.aws.profile', 'provider.profile'] },
  { key: 'endpointUrl', paths: ['AWS_ENDPOINT_URL', 'provider.aws.endpoint_url', 'provider.endpoint_url'] },
  { key: 'credentialFile', paths: ['AWS_CREDENTIAL_FILE', 'provider.aws.credential_file', 'provider.credential_file'] },
  { key: 'eventsQueueUrl', paths: ['AWS_EVENTS_QUEUE_URL', 'provider.aws.events_queue_url', 'provider.events_queue_url'] },
  { key: 'proxyHost', paths: ['AWS_PROXY_HOST', 'provider.aws.proxy_host', 'provider.proxy_host'] },
  { key: 'proxyPort', paths: ['AWS_PROXY_PORT', 'provider.aws.proxy_port', 'provider.proxy_port'] },
  {
    key: 'connectionTimeoutMs',
    paths: ['AWS_CONNECTION_TIMEOUT_MS', 'provider.aws.timeout', 'provider.timeout'],
    convert: secondsToMs,
  },
  { key: 'maxRetries', paths: ['AWS_REQUEST_RETRY_ATTEMPTS', 'provider.aws.max_retries', 'provider.max_retries'] },
  {
    key: 'describeRetryAttempts',
    paths: ['AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS', 'provider.aws.describe_retry_attempts', 'provider.describe_retry_attempts'],
  },
  {
    key: 'describeIntervalMs',
    paths: ['AWS_DESCRIBE_REQUEST_INTERVAL', 'provider.aws.describe_interval_ms', 'provider.describe_interval_ms'],
  },
  {
    key: 'pendingTimeoutSec',
    paths: ['AWS_INSTANCE_PENDING_TIMEOUT_SEC', 'provider.pending_timeout', 'provider.aws.pending_timeout'],
  },
  {
    key: 'capacityTimeoutSec',
    paths: ['AWS_CAPACITY_TIMEOUT_SEC', 'provider.capacity_timeout', 'provider.aws.capacity_timeout'],
  },
  {
    key: 'maxFailedLaunchAttempts',
    paths: ['AWS_MAX_FAILED_LAUNCH_ATTEMPTS', 'provider.max_failed_launch_attempts', 'provider.aws.max_failed_launch_attempts'],
  },
  {
    key: 'connectionPoolSize',
    paths: ['AWS_CONNECTION_POOL_SIZE', 'provider.aws.connection_pool_size', 'provider.connection_pool_size'],
  },
  { key: 'orphanTimeoutSec', paths: ['AWS_ORPHAN_TIMEOUT_SEC', 'provider.orphan_timeout', 'provider.aws.orphan_timeout'] },
  { key: 'orphanAction', paths: ['AWS_ORPHAN_ACTION', 'provider.orphan_action', 'provider.aws.orphan_action'], convert: toLowerString },
  { key: 'orphanGraceSec', paths: ['AWS_ORPHAN_GRACE_SEC', 'provider.orphan_grace', 'provider.aws.orphan_grace'] },
  {
    key: 'orphanSweepIntervalSec',
    paths: ['AWS_ORPHAN_SWEEP_INTERVAL_SEC', 'provider.orphan_sweep_interval', 'provider.aws.orphan_sweep_interval'],
  },
  // The action timeout when HF does not set HF_PROVIDER_ACTION_TIMEOUT (which, set, wins).
  { key: 'actionTimeoutSec', paths: ['AWS_ACTION_TIMEOUT_SEC', 'provider.action_timeout', 'provider.aws.action_timeout'] },
  { key: 'returnTimeoutSec', paths: ['AWS_RETURN_TIMEOUT_SEC', 'provider.return_timeout', 'provider.aws.return_timeout'] },
  { key: 'storageType', paths: ['storage.type'], convert: toLowerString },
  { key: 'storagePath', paths: ['storage.sqlite.path', 'storage.path'] },
  { key: 'dynamodbTablePrefix', paths: ['DYNAMODB_TABLE_PREFIX', 'storage.dynamodb.table_prefix'] },
  { key: 'dynamodbRegion', paths: ['DYNAMODB_REGION', 'storage.dynamodb.region'] },
  { key: 'dynamodbEndpointUrl', paths: ['DYNAMODB_ENDPOINT_URL', 'storage.dynamodb.endpoint_url'] },
  { key: 'dynamodbBackupEnabled', paths: ['DYNAMODB_BACKUP_ENABLED', 'storage.dynamodb.backup_enabled'] },
  { key: 'dynamodbRetentionDays', paths: ['DYNAMODB_RETENTION_DAYS', 'storage.dynamodb.retention_days'] },
  { key: 'logLevel', paths: ['LogLevel', 'LOG_LEVEL', 'logging.level'], convert: toLevel },
  { key: 'logFilePath', paths: ['LOG_FILE', 'logging.file_path', 'logging.file'] },
  { key: 'logMaxSize', paths: ['LOG_MAX_SIZE', 'logging.max_size'], convert: toSize },
  { key: 'logBackupCount', paths: ['LOG_BACKUP_COUNT', 'logging.backup_count'] },
  { key: 'logStderr', paths: ['LOG_STDERR', 'logging.stderr', 'logging.console_enabled', 'logging.console'] },
  {
    key: 'instanceTypesTtlSec',
    paths: ['AWS_INSTANCE_TYPES_CACHE_TTL_SEC', 'caching.instance_types_ttl', 'caching.ttl'],
  },
  { key: 'templateCheckTtlSec', paths: ['AWS_TEMPLATE_CHECK_CACHE_TTL_SEC', 'caching.template_cache_ttl'] },
  { key: 'cachingEnabled', paths: ['AWS_CACHING_ENABLED', 'caching.enabled'] },
];

function envBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  return value;
}

function envInt(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** The few environment variables that override files (the integration guide's per-provider parameters). */
const ENV_SETTINGS: readonly SettingSpec[] = [
  { key: 'providerName', paths: ['HF_PROVIDER_NAME', 'PROVIDER_NAME'] },
  { key: 'logLevel', paths: ['LOG_LEVEL'], convert: toLevel },
  { key: 'logStderr', paths: ['LOG_STDERR'], convert: envBoolean },
  { key: 'region', paths: ['AWS_REGION'] },
  { key: 'profile', paths: ['AWS_PROFILE'] },
  { key: 'endpointUrl', paths: ['AWS_ENDPOINT_URL'] },
  // HF bounds every call by its action timeout (seconds): no call outlives it, so a launch claim
  // older than that belongs to a dead call.
  { key: 'actionTimeoutSec', paths: ['HF_PROVIDER_ACTION_TIMEOUT'], convert: envInt },
];

/** Reads and validates the settings a config document states. Throws CONFIG_INVALID naming file and key. */
export function settingsFromDocument(document: ConfigDocument, file: string): Settings {
  return readSettings(FILE_SETTINGS, (path) => valueAt(document, path), file);
}

/** Reads and validates the settings the environment overrides (empty variables count as unset). */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): Settings {
  return readSettings(
    ENV_SETTINGS,
    (path) => {
      const value = env[path];
      return value === undefined || value.trim() === '' ? undefined : value.trim();
    },
    'environment',
  );
}

function readSettings(specs: readonly SettingSpec[], lookup: (path: string) => unknown, file: string): Settings {
  const rules = new SettingsRules();
  const sourceKeys: Partial<Record<SettingKey, string>> = {};
  for (const spec of specs) {
    for (const path of spec.paths) {
      const raw = lookup(path);
      if (raw === undefined || raw === null) continue;
      rules[spec.key] = spec.convert ? spec.convert(raw, path) : raw;
      sourceKeys[spec.key] = path;
      break;
    }
  }
  const [problem] = findProblems(rules);
  if (problem) {
    throw configError(file, sourceKeys[problem.property as SettingKey] ?? problem.property, problem.reason);
  }
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rules)) if (value !== undefined) settings[key] = value;
  return settings as Settings;
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
