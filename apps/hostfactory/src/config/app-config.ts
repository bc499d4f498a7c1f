import type { CpuCounting, Template } from '@open-hostfactory/core';
import type { ProviderRegistry } from '../providers/registry';
import { DEFAULT_CREDENTIAL_RENEW_MARGIN_SEC } from '../credential-script';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** AWS and request-lifecycle settings of one provider instance. */
export interface ProviderConfig {
  /** PROVIDER_PLUGINS / provider.plugins: the plugin modules' files, resolved (see ProviderRegistry). */
  plugins?: string[];
  /** AWS_REGION / provider.aws.region; default 'us-east-1'. */
  region: string;
  profile?: string;
  endpointUrl?: string;
  credentialFile?: string;
  /** AWS_CREDENTIAL_SCRIPT (resolved from the file that names it): credentials from this program's output; wins over credentialFile, as in IBM's provider. */
  credentialScript?: string;
  /** AWS_CREDENTIAL_RENEW_MARGIN, seconds (default 1770, IBM's): the script runs again once its kept output is this old. */
  credentialRenewMarginSec: number;
  /** HF_CLUSTER_NAME / provider.cluster_name: exported to user data as `clustername` at `%EXPORT_USER_DATA%`; unset: not exported. */
  clusterName?: string;
  /**
   * AWS_EVENTS_QUEUE_URL / provider.aws.events_queue_url: an SQS queue receiving EventBridge's EC2
   * rebalance recommendations and spot interruption warnings for this region (optional).
   */
  eventsQueueUrl?: string;
  proxyHost?: string;
  proxyPort?: number;
  /** The forward proxy AWS requests go through, resolved from AWS_PROXY_HOST/PORT and HTTPS_PROXY/HTTP_PROXY/NO_PROXY. */
  proxy?: ProxyConfig;
  /** AWS_CONNECTION_TIMEOUT_MS, default 10000 (guide: provider.aws.timeout, seconds). */
  connectionTimeoutMs: number;
  /** AWS_REQUEST_RETRY_ATTEMPTS 0-10, default 3 (guide: max_retries). */
  maxRetries: number;
  /** AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS, default 3. */
  describeRetryAttempts: number;
  /** AWS_DESCRIBE_REQUEST_INTERVAL (ms), default 0. */
  describeIntervalMs: number;
  /** EGO_DEFINE_NCPUS / provider.aws.ego_define_ncpus: how EGO counts CPUs (procs, cores, threads), default `cores` like EGO. */
  egoDefineNcpus: CpuCounting;
  /** AWS_SPOT_TERMINATE_ON_RECLAIM / provider.aws.spot_terminate_on_reclaim, default false (IBM's): a returned spot instance EC2 reclaims is left to EC2 (an ASG detaches it from its group first). */
  spotTerminateOnReclaim: boolean;
  /** AWS_UNAVAILABLE_CAPACITY_TTL_SEC, default 180 (Karpenter's 3 minutes): how long a pool the cloud refused for capacity is skipped; 0 remembers nothing. */
  unavailableCapacityTtlSec: number;
  /** AWS_BOOTSTRAP_FAILURE_LIMIT, default 10 (ParallelCluster's protected_failure_count); 0 = off. */
  bootstrapFailureLimit: number;
  /** AWS_BOOTSTRAP_COOL_OFF_SEC, default 900: how long a template is held back after that. */
  bootstrapCoolOffSec: number;
  /** AWS_INSTANCE_PENDING_TIMEOUT_SEC, default 180. */
  pendingTimeoutSec: number;
  /** How long a request keeps seeking missing capacity, default 600 (AWS_CAPACITY_TIMEOUT_SEC). */
  capacityTimeoutSec: number;
  /** Launch attempts in a row that bring nothing before a request gives up, default 3. */
  maxFailedLaunchAttempts: number;
  connectionPoolSize?: number;
  /** HF_PROVIDER_ACTION_TIMEOUT (HF sets it), else AWS_ACTION_TIMEOUT_SEC / provider.action_timeout, default 300: no call lives longer; a launch claim lasts this long. */
  actionTimeoutSec: number;
  /** AWS_ORPHAN_TIMEOUT_SEC, default 300: a request HF never polled this long after its creation is an orphan. */
  orphanTimeoutSec: number;
  /** AWS_ORPHAN_ACTION, default `terminate`; `report` only logs. */
  orphanAction: 'terminate' | 'report';
  /** AWS_ORPHAN_GRACE_SEC, default 300: seconds an orphan is only reported before it is given back. */
  orphanGraceSec: number;
  /** AWS_ORPHAN_SWEEP_INTERVAL_SEC, default 60: the sweep runs at most this often across processes. */
  orphanSweepIntervalSec: number;
  /** AWS_RETURN_TIMEOUT_SEC, default 600: a return whose machines are still alive this long ends with an error. */
  returnTimeoutSec: number;
}

/** Where AWS requests go through a forward proxy (aws-common's ProxySettings). */
export interface ProxyConfig {
  /** AWS_PROXY_HOST/AWS_PROXY_PORT as a URL: every endpoint. */
  url?: string;
  /** HTTPS_PROXY: https endpoints. */
  httpsProxy?: string;
  /** HTTP_PROXY: http endpoints (a local emulator). */
  httpProxy?: string;
  /** NO_PROXY: hosts reached directly. */
  noProxy?: string;
}

export interface StorageConfig {
  /** `sqlite` (default, one file per provider instance) or `dynamodb` (shared by several HF hosts). */
  type: 'sqlite' | 'dynamodb';
  /** SQLite: a database file or a directory to hold it; default the work dir. */
  path: string;
  /**
   * storage.retention_days (or the older storage.dynamodb.retention_days), default 30: closed
   * requests and their machines are purged (SQLite) or expire by TTL (DynamoDB) this long after closing.
   */
  retentionDays: number;
  /** DynamoDB (storage.dynamodb.*): used when `type` is `dynamodb`. */
  dynamodb: DynamoDbStorageConfig;
}

export interface DynamoDbStorageConfig {
  /** Tables are `<prefix>-requests`, `<prefix>-machines`, `<prefix>-cache`; default `hostfactory`. */
  tablePrefix: string;
  /** Default: the provider's region. */
  region: string;
  /** Default: the provider's endpoint (AWS_ENDPOINT_URL), if any. */
  endpointUrl?: string;
  /** Point-in-time recovery on the tables (set when they are created); default false. */
  backupEnabled: boolean;
}

export interface LoggingConfig {
  level: LogLevel;
  filePath: string;
  /** Bytes a log file may reach before it is rotated. */
  maxSize: number;
  /** Rotated files kept (`file.1` … `file.N`); 0 = truncate instead. */
  backupCount: number;
  /** Also write log lines to stderr. */
  stderr: boolean;
}

export interface CachingConfig {
  /** caching.enabled / AWS_CACHING_ENABLED: false turns both caches off. */
  enabled: boolean;
  instanceTypesTtlSec: number;
  /** How long a template that passed the cloud checks is trusted, seconds (unchanged settings only); 0 = check on every call. */
  templateCheckTtlSec: number;
}

export interface MonitoringConfig {
  /** monitoring.enabled / METRICS_ENABLED, default true: every call updates the metrics file. */
  enabled: boolean;
  /** monitoring.metrics_file / METRICS_FILE, default `<workDir>/<provider>.prom` (relative paths from the work dir). */
  file: string;
  /** monitoring.metrics_endpoint / METRICS_ENDPOINT: a Prometheus Pushgateway each call also pushes to. */
  pushEndpoint?: string;
}

/** Everything the command line needs, resolved from defaults, files and the environment. */
export interface AppConfig {
  /** HF_PROVIDER_NAME / PROVIDER_NAME; default 'awsinst'. */
  providerName: string;
  confDir?: string;
  /** Warnings about the configuration (keys deliberately not supported), logged once at warn. */
  notices: string[];
  /** Where each stated setting came from: `<file> (<key>)` or `env:<VARIABLE>`; absent keys are defaults. */
  sources: Record<string, string>;
  workDir: string;
  logDir: string;
  provider: ProviderConfig;
  storage: StorageConfig;
  logging: LoggingConfig;
  caching: CachingConfig;
  monitoring: MonitoringConfig;
  /** Validated templates, in configured order. */
  templates: Template[];
  /** The capacity providers templates may name: the AWS ones and those of PROVIDER_PLUGINS. */
  registry: ProviderRegistry;
}

export const DEFAULT_PROVIDER_NAME = 'awsinst';

export const DEFAULT_PROVIDER_CONFIG: Readonly<ProviderConfig> = {
  region: 'us-east-1',
  connectionTimeoutMs: 10_000,
  maxRetries: 3,
  describeRetryAttempts: 3,
  describeIntervalMs: 0,
  pendingTimeoutSec: 180,
  capacityTimeoutSec: 600,
  maxFailedLaunchAttempts: 3,
  actionTimeoutSec: 300,
  orphanTimeoutSec: 300,
  orphanAction: 'terminate',
  orphanGraceSec: 300,
  orphanSweepIntervalSec: 60,
  returnTimeoutSec: 600,
  egoDefineNcpus: 'cores',
  spotTerminateOnReclaim: false,
  credentialRenewMarginSec: DEFAULT_CREDENTIAL_RENEW_MARGIN_SEC,
  unavailableCapacityTtlSec: 180,
  bootstrapFailureLimit: 10,
  bootstrapCoolOffSec: 900,
};

export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_LOG_BACKUP_COUNT = 5;
export const DEFAULT_INSTANCE_TYPES_TTL_SEC = 86_400;
/** A template that passed the cloud checks is trusted this long (unchanged settings only). */
export const DEFAULT_TEMPLATE_CHECK_TTL_SEC = 3_600;
