import type { Template } from '../domain/template/template';
import { aTemplate } from '../testing/builders';
import {
  FixedClock,
  InMemoryCapacityProvider,
  SequentialIdGenerator,
  StaticCapacityProviders,
  StaticInstanceTypeCatalog,
  StaticTemplateSource,
  type InMemoryCapacityProviderOptions,
} from '../testing/fakes';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { silentLogger, type Logger } from '../ports/logger';
import { unknownProcess, type ProcessIdentity } from '../ports/process-identity';
import { DEFAULT_PROVIDER_SETTINGS, type ProviderSettings } from '../ports/provider-settings';
import { GetAvailableTemplates } from './get-available-templates';
import { GetRequestStatus } from './get-request-status';
import { GetReturnRequests } from './get-return-requests';
import { OrphanSweep } from './orphan-sweep';
import { RequestMachines } from './request-machines';
import { RequestReturnMachines } from './request-return-machines';

export interface HarnessOptions {
  templates?: Template[];
  settings?: Partial<ProviderSettings>;
  launchLimit?: number;
  mode?: InMemoryCapacityProviderOptions['mode'];
  identity?: ProcessIdentity;
  store?: InMemoryStateStore;
  logger?: Logger;
}

/** The five use cases (and the sweep) wired on in-memory fakes, for the core's unit tests. */
export function harness(options: HarnessOptions = {}) {
  const clock = new FixedClock();
  const store = options.store ?? new InMemoryStateStore();
  const cloud = new InMemoryCapacityProvider({ clock, launchLimit: options.launchLimit, mode: options.mode });
  const providers = new StaticCapacityProviders([cloud]);
  const templates = new StaticTemplateSource(options.templates ?? [aTemplate()]);
  const catalog = new StaticInstanceTypeCatalog([{ instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'x86_64' }]);
  const ids = new SequentialIdGenerator();
  const settings: ProviderSettings = { ...DEFAULT_PROVIDER_SETTINGS, ...options.settings };
  const identity = options.identity ?? unknownProcess;
  const logger = options.logger ?? silentLogger;
  return {
    clock,
    store,
    cloud,
    providers,
    templates,
    catalog,
    settings,
    getAvailableTemplates: new GetAvailableTemplates(templates, catalog, store, logger, settings, undefined, clock),
    requestMachines: new RequestMachines(templates, store, providers, ids, clock, settings, logger, undefined, identity),
    getRequestStatus: new GetRequestStatus(store, providers, templates, clock, settings, logger, undefined, identity),
    requestReturnMachines: new RequestReturnMachines(store, providers, ids, clock, logger, templates),
    getReturnRequests: new GetReturnRequests(store, providers, clock, settings, logger, templates, identity),
    sweep: new OrphanSweep({ store, providers, templates, clock, settings, logger, identity }),
  };
}
