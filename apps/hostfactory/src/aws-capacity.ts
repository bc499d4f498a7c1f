import {
  HostFactoryError,
  type CapacityProvider,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  type ProviderApi,
  type Template,
  type TemplateValidator,
  UnavailablePools,
} from '@open-hostfactory/core';
import type { AwsClientOptions, AwsCredentials, AwsRequestObserver, DescribeRetry } from '@open-hostfactory/aws-common';
import type { Ec2Instances, Ec2TemplateCheck, LaunchTemplates, TemplateCheckResult } from '@open-hostfactory/aws-ec2';
import type { Container } from 'inversify';
import { withinBudget, type CallBudget } from './call-budget';
import { resolve } from './wiring';
import type { AppConfig } from './config';
import { credentialScriptProvider } from './credential-script';
import type { ProviderRegistry } from './providers/registry';

/**
 * The settings every AWS client of the call is built with (aws-common): region, endpoint,
 * profile, attempts, timeouts, pool and proxy. `overrides` for a service with its own
 * region or endpoint (DynamoDB).
 */
export function awsClientOptions(
  config: AppConfig,
  overrides: { region?: string; endpoint?: string | undefined; observer?: AwsRequestObserver | undefined } = {},
): AwsClientOptions {
  const provider = config.provider;
  return {
    region: overrides.region ?? provider.region,
    endpoint: 'endpoint' in overrides ? overrides.endpoint : provider.endpointUrl,
    profile: provider.profile,
    ...(provider.credentialScript === undefined ? {} : { credentials: scriptCredentials(config, provider.credentialScript) }),
    maxAttempts: provider.maxRetries + 1,
    connectionTimeoutMs: provider.connectionTimeoutMs,
    maxSockets: provider.connectionPoolSize,
    proxy: provider.proxy,
    observer: overrides.observer,
  };
}

const scriptProviders = new Map<string, () => Promise<AwsCredentials>>();

/** One AWS_CREDENTIAL_SCRIPT provider per script and work dir for the process, shared by every client. */
function scriptCredentials(config: AppConfig, script: string): () => Promise<AwsCredentials> {
  const key = `${script}\n${config.workDir}\n${config.provider.credentialRenewMarginSec}`;
  let provider = scriptProviders.get(key);
  if (!provider) {
    provider = credentialScriptProvider({ script, renewMarginSec: config.provider.credentialRenewMarginSec, workDir: config.workDir });
    scriptProviders.set(key, provider);
  }
  return provider;
}

/** What the EC2 side brings once loaded. */
interface Ec2Side {
  readonly providers: ReadonlyMap<ProviderApi, CapacityProvider>;
  readonly catalog: InstanceTypeCatalog;
  readonly validator: TemplateValidator;
  readonly launchTemplates: LaunchTemplates;
  readonly instances: Ec2Instances;
  readonly check: Ec2TemplateCheck;
}

/**
 * The AWS adapters, loaded on first use and per API: a call that never talks to AWS (a status
 * poll of finished requests, templates whose attributes are cached) never loads the SDK, and the
 * Auto Scaling client is loaded only for ASG templates. Each adapter's ContainerModule is loaded
 * into the app's container then; the EC2 side's launch templates and instance view are handed to
 * the Auto Scaling adapter here, in the composition root, since adapters never import each other.
 */
export class AwsAdapters {
  private ec2?: Promise<Ec2Side>;
  private asg?: Promise<CapacityProvider>;

  constructor(
    private readonly container: Container,
    private readonly config: AppConfig,
    private readonly budget?: CallBudget,
    private readonly observer?: AwsRequestObserver,
  ) {}

  /** A client whose every request is bounded by the call's time budget (when there is one). */
  private bounded<C extends object>(client: C, service: string): C {
    return this.budget ? withinBudget(client, this.budget, 'PROVIDER_ERROR', service) : client;
  }

  private clientOptions(): AwsClientOptions {
    return awsClientOptions(this.config, { observer: this.observer });
  }

  /** AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS / AWS_DESCRIBE_REQUEST_INTERVAL: how Describe* requests retry. */
  private describeRetry(): DescribeRetry {
    return { retries: this.config.provider.describeRetryAttempts, intervalMs: this.config.provider.describeIntervalMs };
  }

  loadEc2(): Promise<Ec2Side> {
    this.ec2 ??= (async () => {
      const provider = this.config.provider;
      if (provider.credentialFile) {
        // The SDK's shared-credentials loader reads this variable (AWS_CREDENTIAL_FILE in IBM's file).
        process.env['AWS_SHARED_CREDENTIALS_FILE'] = provider.credentialFile;
      }
      const ec2 = await import('@open-hostfactory/aws-ec2');
      await (await import('@open-hostfactory/aws-common')).loadProxyAgents(provider.proxy);
      const options = this.clientOptions();
      const client = this.bounded(ec2.createEc2Client(options, this.describeRetry()), 'EC2');
      const queueUrl = provider.eventsQueueUrl;
      await this.container.loadAsync(
        ec2.ec2CapacityModule({
          client,
          providerName: this.config.providerName,
          terminateOnReclaim: provider.spotTerminateOnReclaim,
          pools: await resolve(this.container, UnavailablePools),
          ...(queueUrl ? { events: { queueUrl, sqs: async () => this.bounded(await ec2.createSqsClient(options), 'SQS') } } : {}),
        }),
      );
      const providers = new Map<ProviderApi, CapacityProvider>([
        ['RunInstances', await this.container.getAsync(ec2.RunInstancesProvider)],
        ['EC2Fleet', await this.container.getAsync(ec2.Ec2FleetProvider)],
        ['SpotFleet', await this.container.getAsync(ec2.SpotFleetProvider)],
      ]);
      const validator = new ec2.Ec2TemplateValidator(client, async () => this.bounded(await ec2.createSsmClient(options), 'SSM'));
      return {
        providers,
        catalog: await this.container.getAsync(ec2.Ec2InstanceTypeCatalog),
        validator,
        check: new ec2.Ec2TemplateCheck(client, validator),
        launchTemplates: await this.container.getAsync(ec2.LaunchTemplates),
        instances: await this.container.getAsync(ec2.Ec2Instances),
      };
    })();
    return this.ec2;
  }

  loadAsg(): Promise<CapacityProvider> {
    this.asg ??= (async () => {
      const ec2 = await this.loadEc2();
      const asg = await import('@open-hostfactory/aws-asg');
      await this.container.loadAsync(
        asg.asgCapacityModule({
          client: this.bounded(asg.createAutoScalingClient(this.clientOptions(), this.describeRetry()), 'Auto Scaling'),
          providerName: this.config.providerName,
          launchTemplates: ec2.launchTemplates,
          instances: ec2.instances,
          terminateOnReclaim: this.config.provider.spotTerminateOnReclaim,
        }),
      );
      return this.container.getAsync(asg.AsgProvider);
    })();
    return this.asg;
  }

  /** The operator's check of a template against AWS without launching (`hostfactory.sh templates check`). */
  async checkTemplate(template: Template): Promise<TemplateCheckResult> {
    const provider = await this.provider(template.providerApi);
    return (await this.loadEc2()).check.check(template, provider);
  }

  async provider(api: ProviderApi): Promise<CapacityProvider> {
    if (api === 'ASG') return this.loadAsg();
    const provider = (await this.loadEc2()).providers.get(api);
    if (!provider) {
      throw new HostFactoryError('TEMPLATE_INVALID', `providerApi '${api}' is not available in this release`, {
        details: { providerApi: api },
      });
    }
    return provider;
  }
}

/** DescribeInstanceTypes, loading the adapter on first use (the app puts the store's cache in front). */
export function lazyAwsCatalog(adapters: AwsAdapters): InstanceTypeCatalog {
  return {
    async describe(types: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
      return (await adapters.loadEc2()).catalog.describe(types);
    },
  };
}

/**
 * Template checks against EC2 (and SSM for image parameters) of the AWS providers' templates,
 * loading the adapter on first use; a plugin provider's templates are taken as configured (their
 * settings were checked against the provider's schema when the configuration loaded).
 */
export function lazyAwsValidator(adapters: AwsAdapters, registry: ProviderRegistry): TemplateValidator {
  return {
    async prepare(template) {
      if (!registry.isAws(template.providerApi)) return template;
      return (await adapters.loadEc2()).validator.prepare(template);
    },
  };
}
