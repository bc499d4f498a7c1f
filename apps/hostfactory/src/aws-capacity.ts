import {
  HostFactoryError,
  type AcquireInput,
  type AcquireResult,
  type CapacityProvider,
  type CapacityProviders,
  type DescribeInput,
  type DescribeResult,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  type Logger,
  type Machine,
  type ProviderApi,
  type Request,
  type TemplateValidator,
} from '@open-hostfactory/core';
import type { Container } from 'inversify';
import type { AppConfig } from './config';

interface LoadedAdapters {
  readonly runInstances: CapacityProvider;
  readonly catalog: InstanceTypeCatalog;
  readonly validator: TemplateValidator;
}

/**
 * The AWS adapters, loaded on first use: a call that never talks to AWS (a status poll of
 * finished requests, templates whose attributes are configured or cached) never pays for
 * loading the SDK. The adapter's ContainerModule is loaded into the app's container then.
 */
export class AwsAdapters {
  private loading?: Promise<LoadedAdapters>;

  constructor(
    private readonly container: Container,
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {}

  load(): Promise<LoadedAdapters> {
    this.loading ??= (async () => {
      const provider = this.config.provider;
      if (provider.credentialFile) {
        // The SDK's shared-credentials loader reads this variable (AWS_CREDENTIAL_FILE in IBM's file).
        process.env['AWS_SHARED_CREDENTIALS_FILE'] = provider.credentialFile;
      }
      if (provider.proxyHost) {
        this.logger.warn('AWS_PROXY_HOST/AWS_PROXY_PORT are not applied by this release; calls go direct', {
          proxyHost: provider.proxyHost,
          proxyPort: provider.proxyPort,
        });
      }
      const ec2 = await import('@open-hostfactory/aws-ec2');
      const clientOptions = {
        region: this.config.provider.region,
        endpoint: this.config.provider.endpointUrl,
        profile: this.config.provider.profile,
        maxAttempts: this.config.provider.maxRetries + 1,
        connectionTimeoutMs: this.config.provider.connectionTimeoutMs,
      };
      const client = ec2.createEc2Client(clientOptions);
      await this.container.loadAsync(ec2.ec2CapacityModule({ client, providerName: this.config.providerName }));
      return {
        runInstances: await this.container.getAsync(ec2.RunInstancesProvider),
        catalog: await this.container.getAsync(ec2.Ec2InstanceTypeCatalog),
        validator: new ec2.Ec2TemplateValidator(client, () => ec2.createSsmClient(clientOptions)),
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
  async release(machines: readonly Machine[], requests: readonly Request[]): Promise<void> {
    return (await this.resolve()).release(machines, requests);
  }
  async abandon(request: Request, machines: readonly Machine[]): Promise<void> {
    const provider = await this.resolve();
    await provider.abandon?.(request, machines);
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

/** DescribeInstanceTypes, loading the adapter on first use (the app puts the store's cache in front). */
export function lazyAwsCatalog(adapters: AwsAdapters): InstanceTypeCatalog {
  return {
    async describe(types: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
      return (await adapters.load()).catalog.describe(types);
    },
  };
}

/** Template checks against EC2 (and SSM for image parameters), loading the adapter on first use. */
export function lazyAwsValidator(adapters: AwsAdapters): TemplateValidator {
  return {
    async prepare(template) {
      return (await adapters.load()).validator.prepare(template);
    },
  };
}
