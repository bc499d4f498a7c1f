// Public API of @open-hostfactory/core. Explicit re-exports only.
export { ERROR_CODES, HostFactoryError, isHostFactoryError, toHostFactoryError } from './errors';
export type { ErrorCode, HostFactoryErrorOptions } from './errors';

export {
  PRICE_TYPES,
  TEMPLATE_ID_PATTERN,
  formatInstanceTags,
  instancePriority,
  instanceWeight,
  parseInstanceTags,
  purchaseOf,
  templateInstanceTypes,
  templatePools,
} from './domain/template/template';
export type {
  AttributeKind,
  AttributeValue,
  FleetType,
  PriceType,
  ProviderApi,
  Purchase,
  Template,
  TemplateAttributes,
} from './domain/template/template';
export { CPU_COUNTINGS, hasMandatoryAttributes, resolveTemplateAttributes } from './domain/template/template-attributes';
export { EXPORT_USER_DATA_PLACEHOLDER, RC_ACCOUNT_PATTERN, TAG_RC_ACCOUNT, templateForRequest } from './domain/template/request-template';
export type { UserDataContext } from './domain/template/request-template';
export type { CpuCounting } from './domain/template/template-attributes';
export { checkSettings, editDistance } from './domain/settings-schema';
export type { CheckedSettings, SettingProblem, SettingSpec, SettingType, SettingValue, SettingsSchema } from './domain/settings-schema';
export { TAG_LAUNCH_ATTEMPT, TAG_NAME, TAG_PROVIDER_API, TAG_PROVIDER_NAME, TAG_REQUEST_ID, TAG_TEMPLATE_ID, resourceTags } from './domain/tags';
export type { ResourceTagsInput } from './domain/tags';

export {
  MACHINE_STATES,
  countsAgainstQuota,
  isEndedState,
  isMachineFinished,
  isMachineHeld,
  machineChanged,
  markGone,
  newMachine,
  observeMachine,
  returnResult,
  unitsOf,
} from './domain/machine/machine';
export type {
  LifecycleNotice,
  Machine,
  MachineObservation,
  MachineOwner,
  MachinePriceType,
  MachineResult,
  MachineState,
  ObservationContext,
} from './domain/machine/machine';

export {
  ACQUIRE_PREFIX,
  RETURN_PREFIX,
  deriveAcquireStatus,
  deriveReturnStatus,
  maySeekCapacity,
  requestKindOf,
  shortfall,
} from './domain/request/request';
export type { AcquirePolicy, AcquireProgress, LaunchLease, Request, RequestKind, RequestStatus } from './domain/request/request';

export { Clock, systemClock } from './ports/clock';
export { IdGenerator } from './ports/id-generator';
export { TemplateSource } from './ports/template-source';
export { TemplateValidator, acceptTemplatesAsConfigured } from './ports/template-validator';
export { InstanceTypeCatalog } from './ports/instance-type-catalog';
export type { InstanceTypeInfo } from './ports/instance-type-catalog';
export { StateStore } from './ports/state-store';
export type { MachineQuery, PurgeResult, RequestQuery, StateChanges, StoreInspection, StoredChanges, TemplateLoad } from './ports/state-store';
export { CapacityProviders, problemsStatus, templateProblemOf } from './ports/capacity-provider';
export { portToken } from './ports/token';
export { PROVIDER_API_PATTERN } from './ports/provider-plugin';
export type { ProviderContext, ProviderFactory, ProviderPlugin } from './ports/provider-plugin';
export type { Token } from './ports/token';
export type {
  AcquireInput,
  AcquireResult,
  CapacityHolder,
  CapacityProvider,
  CloudInventory,
  DescribeInput,
  DescribeResult,
  Fulfilment,
  PreflightResult,
  TemplateProblem,
} from './ports/capacity-provider';
export { DEFAULT_PROVIDER_SETTINGS, ProviderSettings } from './ports/provider-settings';
export { UnavailablePools, noPoolMemory } from './ports/unavailable-pools';
export { describePool, describeRefusal, poolKey } from './domain/capacity-pool';
export type { CapacityPool, PoolRefusal } from './domain/capacity-pool';
export { StoredUnavailablePools } from './application/stored-unavailable-pools';
export { BootstrapGuard } from './application/bootstrap-guard';
export type { BootstrapSettings } from './application/bootstrap-guard';
export type { OrphanAction } from './ports/provider-settings';
export { ProcessIdentity, unknownProcess } from './ports/process-identity';
export { Logger, silentLogger } from './ports/logger';

export type {
  AvailableTemplate,
  MachineRef,
  MachineReport,
  ReclaimReport,
  RequestMachinesInput,
  RequestMachinesOutput,
  RequestReport,
  ReturnMachinesInput,
  ReturnMachinesOutput,
} from './application/results';

export { CachedInstanceTypeCatalog } from './application/cached-instance-type-catalog';
export { CachedTemplateValidator } from './application/cached-template-validator';
export { retryOnConflict } from './application/conflict-retry';
export { GetAvailableTemplates, attributeTypeOf } from './application/get-available-templates';
export { GetRequestStatus } from './application/get-request-status';
export { GetReturnRequests } from './application/get-return-requests';
export { RequestMachines } from './application/request-machines';
export { RequestReturnMachines } from './application/request-return-machines';
export { OrphanSweep, SWEEP_LEASE } from './application/orphan-sweep';
export { PURGE_BATCH, PURGE_INTERVAL_MS, PURGE_LEASE, RetentionPurge } from './application/retention';
export type { SweepAction, SweepFinding, SweepOptions, SweepReport } from './application/orphan-sweep';
export type { UseCaseContext } from './application/use-case-context';
export { availableNumber, unitsInUse } from './application/template-usage';
export { mapLimit } from './application/map-limit';
