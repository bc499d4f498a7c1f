import {
  HostFactoryError,
  type AcquireInput,
  type AcquireResult,
  type CapacityHolder,
  type CapacityProvider,
  type CapacityProviders,
  type CloudInventory,
  type DescribeInput,
  type DescribeResult,
  type Machine,
  type MachineObservation,
  type PreflightResult,
  type ProviderApi,
  type ProviderContext,
  type Request,
  type Template,
} from '@open-hostfactory/core';
import type { ProviderRegistry } from './registry';

/**
 * Every registered capacity provider, each made the first time a call needs it: the AWS ones by
 * `builtIn` (the app's lazily loaded adapters), a plugin's by its factory's `create(context)`.
 */
export class RegisteredCapacityProviders implements CapacityProviders {
  private readonly lazy = new Map<ProviderApi, CapacityProvider>();

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly builtIn: (api: ProviderApi) => Promise<CapacityProvider>,
    private readonly context: ProviderContext,
  ) {}

  forApi(api: ProviderApi): CapacityProvider {
    const name = this.registry.canonical(api);
    if (name === undefined) {
      throw new HostFactoryError('TEMPLATE_INVALID', `providerApi '${api}' is not registered (${this.registry.apis().join('|')})`, {
        details: { providerApi: api },
      });
    }
    let provider = this.lazy.get(name);
    if (!provider) {
      const plugin = this.registry.plugin(name);
      let made: Promise<CapacityProvider> | undefined;
      const make = (): Promise<CapacityProvider> => {
        made ??= plugin
          ? Promise.resolve(plugin.factory.create(this.context)).then((p) => checkedProvider(p, name, plugin.module))
          : this.builtIn(name);
        return made;
      };
      provider = new LazyCapacityProvider(name, make);
      this.lazy.set(name, provider);
    }
    return provider;
  }
}

/** What a plugin's factory made, checked to be a provider of the registered name. */
function checkedProvider(provider: CapacityProvider, api: ProviderApi, module: string): CapacityProvider {
  const missing = (['acquire', 'describe', 'release'] as const).filter((method) => typeof provider?.[method] !== 'function');
  if (missing.length > 0 || provider.api !== api) {
    throw new HostFactoryError(
      'CONFIG_INVALID',
      `plugin ${module}: create() for '${api}' made ${missing.length > 0 ? `no ${missing.join('/')} method` : `a provider named '${provider.api}'`}`,
      { details: { providerApi: api, module } },
    );
  }
  return provider;
}

/** A capacity provider made on its first call; optional methods answer as absent ones would. */
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
  async inventory(): Promise<CloudInventory> {
    const provider = await this.resolve();
    return provider.inventory ? provider.inventory() : { instances: [], holders: [] };
  }
  async dispose(holders: readonly CapacityHolder[]): Promise<void> {
    await (await this.resolve()).dispose?.(holders);
  }
  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    const provider = await this.resolve();
    return provider.lookup ? provider.lookup(machineIds) : [];
  }
  async preflight(template: Template): Promise<PreflightResult> {
    const provider = await this.resolve();
    return provider.preflight ? provider.preflight(template) : { checked: [`no preflight: the ${this.api} provider has none`], problems: [] };
  }
}
