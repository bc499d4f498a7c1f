import type { CpuCounting } from '../domain/template/template-attributes';
import { portToken, type Token } from './token';
/** What the orphan sweep does with what it finds. */
export type OrphanAction = 'terminate' | 'report';

/** Settings the use cases need, resolved from the provider config. */
export interface ProviderSettings {
  /** The provider instance name (HF_PROVIDER_NAME). */
  readonly providerName: string;
  /** The cluster's name, exported to user data as `clustername` (IBM's `%EXPORT_USER_DATA%`); unset: not exported. */
  readonly clusterName?: string;
  /** A machine pending longer than this fails (AWS_INSTANCE_PENDING_TIMEOUT_SEC, default 180). */
  readonly pendingTimeoutSec: number;
  /** Launch attempts in a row that bring no machine before a request gives up (default 3). */
  readonly maxFailedLaunchAttempts: number;
  /** How long an acquire request keeps seeking missing capacity, seconds (default 600). */
  readonly capacityTimeoutSec: number;
  /** How long instance-type facts are cached, seconds (default 86400). */
  readonly catalogCacheTtlSec: number;
  /**
   * How long a launch claim lasts, seconds: no call lives longer (HF kills a call at its action
   * timeout, HF_PROVIDER_ACTION_TIMEOUT), so a claim older than this belongs to a dead call.
   */
  readonly launchLeaseSec: number;
  /** A request HF never polled within this many seconds of its creation is an orphan (default 300). */
  readonly orphanTimeoutSec: number;
  /** `terminate` (default): orphans are given back; `report`: only logged. */
  readonly orphanAction: OrphanAction;
  /** Seconds an orphan found in the cloud is only reported before it is given back (default 300). */
  readonly orphanGraceSec: number;
  /** The sweep runs at most once per this many seconds across all processes (default 60). */
  readonly orphanSweepIntervalSec: number;
  /** A return request whose machines are still alive after this many seconds ends with an error (default 600). */
  readonly returnTimeoutSec: number;
  /** Closed requests (and their machines) are purged this many days after closing (storage.retention_days, default 30). */
  readonly retentionDays: number;
  /** How `ncpus` is derived from an instance type: as EGO counts CPUs (EGO_DEFINE_NCPUS, default `cores`). */
  readonly cpuCounting: CpuCounting;
  /** Machines of a template failing in a row before they are ready that hold it back (default 10; 0 = never). */
  readonly bootstrapFailureLimit: number;
  /** How long a template is held back after that, seconds (default 900). */
  readonly bootstrapCoolOffSec: number;
}
/** The injection token of {@link ProviderSettings}. */
export const ProviderSettings: Token<ProviderSettings> = portToken<ProviderSettings>('ProviderSettings');

/** The settings of an installation that configures nothing. */
export const DEFAULT_PROVIDER_SETTINGS: ProviderSettings = {
  providerName: 'awsinst',
  pendingTimeoutSec: 180,
  maxFailedLaunchAttempts: 3,
  capacityTimeoutSec: 600,
  catalogCacheTtlSec: 86400,
  launchLeaseSec: 300,
  orphanTimeoutSec: 300,
  orphanAction: 'terminate',
  orphanGraceSec: 300,
  orphanSweepIntervalSec: 60,
  returnTimeoutSec: 600,
  retentionDays: 30,
  cpuCounting: 'cores',
  bootstrapFailureLimit: 10,
  bootstrapCoolOffSec: 900,
};
