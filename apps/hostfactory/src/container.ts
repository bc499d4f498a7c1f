import {
  CachedInstanceTypeCatalog,
  CachedTemplateValidator,
  CapacityProviders,
  Clock,
  GetAvailableTemplates,
  GetRequestStatus,
  GetReturnRequests,
  IdGenerator,
  InstanceTypeCatalog,
  Logger,
  ProcessIdentity,
  ProviderSettings,
  RequestMachines,
  RequestReturnMachines,
  StateStore,
  StoredUnavailablePools,
  UnavailablePools,
  TemplateSource,
  TemplateValidator,
  portToken,
  systemClock,
  type CapacityPool,
  type Template,
  type Token,
} from '@open-hostfactory/core';
import { sqliteFilePath, sqliteStorageModule } from '@open-hostfactory/storage-sqlite';
import { Container, type ContainerModule } from 'inversify';
import { AwsAdapters, awsClientOptions, lazyAwsCatalog, lazyAwsValidator } from './aws-capacity';
import { RegisteredCapacityProviders } from './providers/capacity-providers';
import { toProviderSettings, type AppConfig } from './config';
import { localProcessIdentity } from './process-identity';
import { withinBudget, type CallBudget } from './call-budget';
import { bindClass, bindFactory, bindValue } from './wiring';
import type { AwsRequestObserver } from '@open-hostfactory/aws-common';
import { statSync } from 'node:fs';
import { extname } from 'node:path';

/** Use cases get the catalog behind the store's cache; the adapter's own binding stays raw. */
export const CachedCatalog: Token<InstanceTypeCatalog> = portToken<InstanceTypeCatalog>('app.CachedCatalog');

export interface Overrides {
  readonly clock?: Clock;
  readonly identity?: ProcessIdentity;
  readonly capacityProviders?: CapacityProviders;
  readonly catalog?: InstanceTypeCatalog;
  readonly validator?: TemplateValidator;
}

/**
 * The one composition root: binds core's ports to the configured adapters and the five use
 * cases to them. Adapters are loaded lazily (see AwsAdapters), so building the container is cheap.
 */
export async function createContainer(
  config: AppConfig,
  logger: Logger,
  overrides: Overrides = {},
  budget?: CallBudget,
  observer?: AwsRequestObserver & { readonly onRefusal?: (pool: CapacityPool) => void },
): Promise<Container> {
  const container = new Container({ defaultScope: 'Singleton' });
  const settings: ProviderSettings = toProviderSettings(config);
  const templates: readonly Template[] = config.templates;
  const adapters = new AwsAdapters(container, config, budget, observer);
  container.bind(AwsAdapters).toConstantValue(adapters);

  bindValue(container, ProviderSettings, settings);
  bindValue(container, Clock, overrides.clock ?? systemClock);
  bindValue(container, ProcessIdentity, overrides.identity ?? localProcessIdentity());
  bindValue(container, Logger, logger);
  // Web Crypto's randomUUID: node:crypto loads only when an id is made (not on every call's start-up).
  bindValue<IdGenerator>(container, IdGenerator, { next: (prefix) => `${prefix}${globalThis.crypto.randomUUID()}` });
  bindValue<TemplateSource>(container, TemplateSource, { list: async () => templates });
  await container.loadAsync(await storageModule(config, budget, observer));
  const context = { providerName: config.providerName, workDir: config.workDir, logger, clock: overrides.clock ?? systemClock };
  bindValue(
    container,
    CapacityProviders,
    overrides.capacityProviders ?? new RegisteredCapacityProviders(config.registry, (api) => adapters.provider(api), context),
  );
  bindFactory(
    container,
    CachedCatalog,
    (store: StateStore, clock: Clock) => {
      const catalog = overrides.catalog ?? lazyAwsCatalog(adapters);
      const ttlSec = settings.catalogCacheTtlSec;
      return ttlSec === 0 ? catalog : new CachedInstanceTypeCatalog(catalog, store, clock, ttlSec);
    },
    [StateStore, Clock],
  );
  bindFactory(
    container,
    TemplateValidator,
    (store: StateStore, clock: Clock) => {
      const validator = overrides.validator ?? lazyAwsValidator(adapters, config.registry);
      const ttlSec = config.caching.templateCheckTtlSec;
      return ttlSec === 0 ? validator : new CachedTemplateValidator(validator, store, clock, ttlSec);
    },
    [StateStore, Clock],
  );

  bindFactory(
    container,
    UnavailablePools,
    (store: StateStore, clock: Clock, logger: Logger): UnavailablePools => {
      const pools = new StoredUnavailablePools(store, clock, config.provider.unavailableCapacityTtlSec, logger);
      const count = observer?.onRefusal;
      if (!count) return pools;
      // Every refusal a launch reports is also counted in the metrics.
      return {
        find: (asked) => pools.find(asked),
        remember: async (refusals) => {
          for (const { pool } of refusals) count(pool);
          await pools.remember(refusals);
        },
      };
    },
    [StateStore, Clock, Logger],
  );
  bindClass(container, GetAvailableTemplates, GetAvailableTemplates, [
    TemplateSource,
    CachedCatalog,
    StateStore,
    Logger,
    ProviderSettings,
    UnavailablePools,
    Clock,
  ]);
  bindClass(container, RequestMachines, RequestMachines, [
    TemplateSource,
    StateStore,
    CapacityProviders,
    IdGenerator,
    Clock,
    ProviderSettings,
    Logger,
    TemplateValidator,
    ProcessIdentity,
  ]);
  bindClass(container, GetRequestStatus, GetRequestStatus, [
    StateStore,
    CapacityProviders,
    TemplateSource,
    Clock,
    ProviderSettings,
    Logger,
    TemplateValidator,
    ProcessIdentity,
  ]);
  bindClass(container, RequestReturnMachines, RequestReturnMachines, [StateStore, CapacityProviders, IdGenerator, Clock, Logger, TemplateSource]);
  bindClass(container, GetReturnRequests, GetReturnRequests, [
    StateStore,
    CapacityProviders,
    Clock,
    ProviderSettings,
    Logger,
    TemplateSource,
    ProcessIdentity,
  ]);
  return container;
}

/**
 * The configured store's module: SQLite (the embedded default, one file per provider instance)
 * or DynamoDB (shared by several HF hosts; its SDK chunk is loaded only then).
 */
async function storageModule(config: AppConfig, budget: CallBudget | undefined, observer: AwsRequestObserver | undefined): Promise<ContainerModule> {
  if (config.storage.type !== 'dynamodb') return sqliteStorageModule({ filePath: storageFile(config) });
  const dynamo = await import('@open-hostfactory/storage-dynamodb');
  await (await import('@open-hostfactory/aws-common')).loadProxyAgents(config.provider.proxy);
  const settings = config.storage.dynamodb;
  const client = dynamo.createDynamoDbClient(awsClientOptions(config, { region: settings.region, endpoint: settings.endpointUrl, observer }));
  return dynamo.dynamoDbStorageModule({
    client: budget ? withinBudget(client, budget, 'STORAGE_ERROR', 'DynamoDB') : client,
    ownsClient: true,
    tablePrefix: settings.tablePrefix,
    providerName: config.providerName,
    retentionDays: config.storage.retentionDays,
    backupEnabled: settings.backupEnabled,
  });
}

/** `storage.path` names a database file (`*.db`, `*.sqlite`, an existing file) or a directory. */
export function storageFile(config: AppConfig): string {
  const path = config.storage.path;
  if (['.db', '.sqlite', '.sqlite3'].includes(extname(path))) return path;
  try {
    if (statSync(path).isFile()) return path;
  } catch {
    // a directory that does not exist yet: the store creates it
  }
  return sqliteFilePath(path, config.providerName);
}
