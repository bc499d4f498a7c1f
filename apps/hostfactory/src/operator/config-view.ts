import type { AppConfig } from '../config';
import { SETTINGS, type SettingKey } from '../config/settings';

/** Where each setting's effective value lives in AppConfig (every row of SETTINGS, checked by the compiler). */
const EFFECTIVE: Readonly<Record<SettingKey, (config: AppConfig) => unknown>> = {
  providerName: (c) => c.providerName,
  providerType: () => 'aws',
  plugins: (c) => c.provider.plugins,
  egoDefineNcpus: (c) => c.provider.egoDefineNcpus,
  spotTerminateOnReclaim: (c) => c.provider.spotTerminateOnReclaim,
  region: (c) => c.provider.region,
  profile: (c) => c.provider.profile,
  endpointUrl: (c) => c.provider.endpointUrl,
  credentialFile: (c) => c.provider.credentialFile,
  credentialScript: (c) => c.provider.credentialScript,
  credentialRenewMarginSec: (c) => c.provider.credentialRenewMarginSec,
  clusterName: (c) => c.provider.clusterName,
  eventsQueueUrl: (c) => c.provider.eventsQueueUrl,
  proxyHost: (c) => c.provider.proxyHost,
  proxyPort: (c) => c.provider.proxyPort,
  connectionTimeoutMs: (c) => c.provider.connectionTimeoutMs,
  maxRetries: (c) => c.provider.maxRetries,
  describeRetryAttempts: (c) => c.provider.describeRetryAttempts,
  describeIntervalMs: (c) => c.provider.describeIntervalMs,
  pendingTimeoutSec: (c) => c.provider.pendingTimeoutSec,
  unavailableCapacityTtlSec: (c) => c.provider.unavailableCapacityTtlSec,
  bootstrapFailureLimit: (c) => c.provider.bootstrapFailureLimit,
  bootstrapCoolOffSec: (c) => c.provider.bootstrapCoolOffSec,
  capacityTimeoutSec: (c) => c.provider.capacityTimeoutSec,
  maxFailedLaunchAttempts: (c) => c.provider.maxFailedLaunchAttempts,
  connectionPoolSize: (c) => c.provider.connectionPoolSize,
  actionTimeoutSec: (c) => c.provider.actionTimeoutSec,
  orphanTimeoutSec: (c) => c.provider.orphanTimeoutSec,
  orphanAction: (c) => c.provider.orphanAction,
  orphanGraceSec: (c) => c.provider.orphanGraceSec,
  orphanSweepIntervalSec: (c) => c.provider.orphanSweepIntervalSec,
  returnTimeoutSec: (c) => c.provider.returnTimeoutSec,
  storageType: (c) => c.storage.type,
  storagePath: (c) => c.storage.path,
  dynamodbTablePrefix: (c) => c.storage.dynamodb.tablePrefix,
  dynamodbRegion: (c) => c.storage.dynamodb.region,
  dynamodbEndpointUrl: (c) => c.storage.dynamodb.endpointUrl,
  dynamodbBackupEnabled: (c) => c.storage.dynamodb.backupEnabled,
  retentionDays: (c) => c.storage.retentionDays,
  logLevel: (c) => c.logging.level,
  logFilePath: (c) => c.logging.filePath,
  logMaxSize: (c) => c.logging.maxSize,
  logBackupCount: (c) => c.logging.backupCount,
  logStderr: (c) => c.logging.stderr,
  instanceTypesTtlSec: (c) => c.caching.instanceTypesTtlSec,
  templateCheckTtlSec: (c) => c.caching.templateCheckTtlSec,
  cachingEnabled: (c) => c.caching.enabled,
  metricsEnabled: (c) => c.monitoring.enabled,
  metricsFile: (c) => c.monitoring.file,
  metricsEndpoint: (c) => c.monitoring.pushEndpoint,
};

/** One effective setting: its value (secrets masked) and where it came from. */
export interface EffectiveSetting {
  readonly key: SettingKey;
  /** The key a file would state it with (IBM's flat name when it has one). */
  readonly fileKey: string;
  readonly value: unknown;
  /** `default`, `<file> (<key>)`, or `env:<VARIABLE>`. */
  readonly source: string;
}

/** Every setting of the table with its effective value and source, in table order. */
export function effectiveSettings(config: AppConfig): EffectiveSetting[] {
  return SETTINGS.map((entry) => ({
    key: entry.key,
    fileKey: entry.files[0] ?? entry.env?.[0] ?? entry.key,
    value: masked(EFFECTIVE[entry.key](config)),
    source: config.sources[entry.key] ?? 'default',
  }));
}

/** A URL's password (`http://user:secret@proxy:3128`) is shown as `***`. */
function masked(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    url.password = '***';
    return url.toString();
  } catch {
    return '***';
  }
}
