import {
  CachedInstanceTypeCatalog,
  HostFactoryError,
  type AcquireInput,
  type AcquireResult,
  type CapacityProvider,
  type CapacityProviders,
  type Clock,
  type DescribeInput,
  type DescribeResult,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  type Machine,
  type ProviderApi,
  type StateStore,
} from '@open-hostfactory/core';
import type { Container } from 'inversify';
import type { AppConfig } from './config';

/**
 * The AWS adapters, loaded on first use: a call that never talks to AWS (a status poll of
 * finished requests, templates whose attributes are configured or cached) never pays for
 * loading the SDK. The adapter's ContainerModule is loaded into the app's container then.
 */
export class AwsAdapters {
  private loading?: Promise<{ runInstances: CapacityProvider; catalog: InstanceTypeCatalog }>;

  constructor(
    private readonly container: Container,
    private readonly config: AppConfig,
  ) {}

  load(): Promise<{ runInstances: CapacityProvider; catalog: InstanceTypeCatalog }> {
    this.loading ??= (async () => {
      const ec2 = await import('@open-hostfactory/aws-ec2');
      const client = ec2.createEc2Client({
        region: this.config.provider.region,
        endpoint: this.config.provider.endpointUrl,
        profile: this.config.provider.profile,
        maxAttempts: this.config.provider.maxRetries + 1,
        connectionTimeoutMs: this.config.provider.connectionTimeoutMs,
      });
      await this.container.loadAsync(ec2.ec2CapacityModule({ client, providerName: this.config.providerName }));
      return {
        runInstances: await this.container.getAsync(ec2.RunInstancesProvider),
        catalog: await this.container.getAsync(ec2.Ec2InstanceTypeCatalog),
      };
    })();
    return this.loading;
  }
}

/** A capacity provider that loads its adapter on the first call. */
class LazyCapacityProvider implements CapacityProvider {
  constructor(
    readonly api: ProviderApi,
    private readonly resolve: () => Promise<CapacityProvider>,
  ) {}
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    return (await this.resolve()).acquire(input);
  }
  async describe(input: DescribeInput): Promise<DescribeResult> {
    return (await this.resolve()).describe(input);
  }
  async release(machines: readonly Machine[]): Promise<void> {
    return (await this.resolve()).release(machines);
  }
}

export class AwsCapacityProviders implements CapacityProviders {
  private readonly runInstances: CapacityProvider;

  constructor(adapters: AwsAdapters) {
    this.runInstances = new LazyCapacityProvider('RunInstances', async () => (await adapters.load()).runInstances);
  }

  forApi(api: ProviderApi): CapacityProvider {
    if (api === 'RunInstances') return this.runInstances;
    throw new HostFactoryError('TEMPLATE_INVALID', `providerApi '${api}' is not available in this release (RunInstances is)`, {
      details: { providerApi: api },
    });
  }
}

/** DescribeInstanceTypes behind the store's cache, loaded on a cache miss only. */
export function cachedAwsCatalog(adapters: AwsAdapters, store: StateStore, clock: Clock, ttlSec: number): InstanceTypeCatalog {
  const lazy: InstanceTypeCatalog = {
    async describe(types: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
      return (await adapters.load()).catalog.describe(types);
    },
  };
  return new CachedInstanceTypeCatalog(lazy, store, clock, ttlSec);
}
