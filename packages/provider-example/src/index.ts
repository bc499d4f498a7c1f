// @open-hostfactory/provider-example: a provider plugin module. Name its built file (or the
// package) in PROVIDER_PLUGINS and give templates `"providerApi": "StaticPool"`.
import type { ProviderFactory } from '@open-hostfactory/core';
import { STATIC_POOL_API, StaticPoolProvider } from './static-pool-provider';

/** The static pool's template settings: checked when the configuration loads, naming the key. */
export const staticPoolSettings = {
  hosts: { type: 'string[]', required: true, min: 1, description: 'the host names or IP addresses of the pool this template hands out' },
  instanceType: { type: 'string', default: 'static', description: 'the instance type HF is told the hosts are' },
} as const;

/** The factory the plugin registers: `StaticPool` templates are served by a {@link StaticPoolProvider}. */
export const staticPool: ProviderFactory = {
  api: STATIC_POOL_API,
  templateSettings: staticPoolSettings,
  create: (context) => new StaticPoolProvider({ providerName: context.providerName, workDir: context.workDir, clock: context.clock }),
};

/** What the plugin module exports for PROVIDER_PLUGINS. */
export const providers: readonly ProviderFactory[] = [staticPool];

export { STATIC_POOL_API, StaticPoolProvider } from './static-pool-provider';
export type { StaticPoolOptions } from './static-pool-provider';
export { PoolFile } from './pool-file';
export type { Lease, PoolState } from './pool-file';
