// Public API of @open-hostfactory/core. Explicit re-exports only.
export { ERROR_CODES, HostFactoryError, isHostFactoryError, toHostFactoryError } from './errors';
export type { ErrorCode, HostFactoryErrorOptions } from './errors';

export {
  PRICE_TYPES,
  PROVIDER_APIS,
  TEMPLATE_ID_PATTERN,
  formatInstanceTags,
  instanceWeight,
  parseInstanceTags,
  templateInstanceTypes,
} from './domain/template/template';
export type {
  AttributeKind,
  AttributeValue,
  FleetType,
  PriceType,
  ProviderApi,
  Template,
  TemplateAttributes,
} from './domain/template/template';
export { hasMandatoryAttributes, resolveTemplateAttributes } from './domain/template/template-attributes';

export {
  MACHINE_STATES,
  countsAgainstQuota,
  isEndedState,
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
export type { AcquirePolicy, AcquireProgress, Request, RequestKind, RequestStatus } from './domain/request/request';

export { Clock, systemClock } from './ports/clock';
export { IdGenerator } from './ports/id-generator';
export { TemplateSource } from './ports/template-source';
export { TemplateValidator, acceptTemplatesAsConfigured } from './ports/template-validator';
export { InstanceTypeCatalog } from './ports/instance-type-catalog';
export type { InstanceTypeInfo } from './ports/instance-type-catalog';
export { StateStore } from './ports/state-store';
export type { MachineQuery, RequestQuery, StateChanges, StoredChanges } from './ports/state-store';
export { CapacityProvider, CapacityProviders } from './ports/capacity-provider';
export type { AcquireInput, AcquireResult, DescribeInput, DescribeResult, Fulfilment } from './ports/capacity-provider';
export { DEFAULT_PROVIDER_SETTINGS, ProviderSettings } from './ports/provider-settings';
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
export { GetAvailableTemplates } from './application/get-available-templates';
export { GetRequestStatus } from './application/get-request-status';
export { GetReturnRequests } from './application/get-return-requests';
export { RequestMachines } from './application/request-machines';
export { RequestReturnMachines } from './application/request-return-machines';
export { availableNumber, heldByTemplate } from './application/template-usage';
