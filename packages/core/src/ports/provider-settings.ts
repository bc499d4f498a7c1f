/** Settings the use cases need, resolved from the provider config. */
export interface ProviderSettings {
  /** The provider instance name (HF_PROVIDER_NAME). */
  readonly providerName: string;
  /** A machine pending longer than this fails (AWS_INSTANCE_PENDING_TIMEOUT_SEC, default 180). */
  readonly pendingTimeoutSec: number;
  /** Launch attempts in a row that bring no machine before a request gives up (default 3). */
  readonly maxFailedLaunchAttempts: number;
  /** How long an acquire request keeps seeking missing capacity, seconds (default 600). */
  readonly capacityTimeoutSec: number;
  /** How long instance-type facts are cached, seconds (default 86400). */
  readonly catalogCacheTtlSec: number;
}
export const ProviderSettings = Symbol.for('open-hostfactory.ProviderSettings');

export const DEFAULT_PROVIDER_SETTINGS: ProviderSettings = {
  providerName: 'awsinst',
  pendingTimeoutSec: 180,
  maxFailedLaunchAttempts: 3,
  capacityTimeoutSec: 600,
  catalogCacheTtlSec: 86400,
};
