import { aTemplate } from './builders';
import { describeCapacityProviderContract } from './capacity-provider-contract';
import { InMemoryCapacityProvider } from './fakes';

describeCapacityProviderContract(
  'InMemoryCapacityProvider (direct, one instance per call like moto)',
  async () => {
    const provider = new InMemoryCapacityProvider({ launchLimit: 1 });
    return {
      provider,
      template: aTemplate(),
      boot: async () => provider.setAll('pending', 'running'),
      terminateOutside: async (machineId) => provider.setState(machineId, 'terminated', 'User initiated'),
    };
  },
  { pollIntervalMs: 0, idempotentTokens: true },
);

describeCapacityProviderContract(
  'InMemoryCapacityProvider (fleet mode, weighted)',
  async () => {
    const provider = new InMemoryCapacityProvider({ mode: 'fleet', launchLimit: 1 });
    return {
      provider,
      template: aTemplate({ vmType: 'm5.large', vmTypes: { 'm5.large': 1 } }),
      boot: async () => provider.setAll('pending', 'running'),
      terminateOutside: async (machineId) => provider.forget(machineId),
    };
  },
  { pollIntervalMs: 0 },
);
