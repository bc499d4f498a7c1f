// @open-hostfactory/core/testing: fakes, builders and port contract suites for adapter authors.
export { aMachine, aReturnRequest, aTemplate, anAcquireRequest, anObservation } from './builders';
export { InMemoryStateStore } from './in-memory-state-store';
export { describeStateStoreContract } from './state-store-contract';
export type { StateStoreUnderTest } from './state-store-contract';
export {
  FixedClock,
  InMemoryCapacityProvider,
  SequentialIdGenerator,
  StaticCapacityProviders,
  StaticInstanceTypeCatalog,
  StaticTemplateSource,
} from './fakes';
export type { FakeInstance, FakeOperation, InMemoryCapacityProviderOptions } from './fakes';
export { describeCapacityProviderContract } from './capacity-provider-contract';
export type { CapacityProviderContractOptions, CapacityProviderUnderTest } from './capacity-provider-contract';
export { concurrentWriterMain, runConcurrentWriter } from './concurrent-writer';
export type { ConcurrentWriterArgs, ConcurrentWriterReport } from './concurrent-writer';
