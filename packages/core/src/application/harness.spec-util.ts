import type { Template } from '../domain/template/template';
import { aTemplate } from '../testing/builders';
import {
  FixedClock,
  InMemoryCapacityProvider,
  SequentialIdGenerator,
  StaticCapacityProviders,
  StaticInstanceTypeCatalog,
  StaticTemplateSource,
} from '../testing/fakes';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { silentLogger } from '../ports/logger';
import { DEFAULT_PROVIDER_SETTINGS, type ProviderSettings } from '../ports/provider-settings';
import { GetAvailableTemplates } from './get-available-templates';
import { GetRequestStatus } from './get-request-status';
import { GetReturnRequests } from './get-return-requests';
import { RequestMachines } from './request-machines';
import { RequestReturnMachines } from './request-return-machines';

/** The five use cases wired on in-memory fakes, for the core's unit tests. */
export function harness(options: { templates?: Template[]; settings?: Partial<ProviderSettings>; launchLimit?: number } = {}) {
  const clock = new FixedClock();
  const store = new InMemoryStateStore();
  const cloud = new InMemoryCapacityProvider({ clock, launchLimit: options.launchLimit });
  const providers = new StaticCapacityProviders([cloud]);
  const templates = new StaticTemplateSource(options.templates ?? [aTemplate()]);
  const catalog = new StaticInstanceTypeCatalog([
    { instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'x86_64' },
  ]);
  const ids = new SequentialIdGenerator();
  const settings: ProviderSettings = { ...DEFAULT_PROVIDER_SETTINGS, ...options.settings };
  return {
    clock,
    store,
    cloud,
    templates,
    catalog,
    settings,
    getAvailableTemplates: new GetAvailableTemplates(templates, catalog, store, silentLogger),
    requestMachines: new RequestMachines(templates, store, providers, ids, clock, settings, silentLogger),
    getRequestStatus: new GetRequestStatus(store, providers, templates, clock, settings, silentLogger),
    requestReturnMachines: new RequestReturnMachines(store, providers, ids, clock, silentLogger),
    getReturnRequests: new GetReturnRequests(store, providers, clock, settings, silentLogger),
  };
}
