import type { SettingsSchema } from '../domain/settings-schema';
import type { ProviderApi } from '../domain/template/template';
import type { CapacityProvider } from './capacity-provider';
import type { Clock } from './clock';
import type { Logger } from './logger';

/** What a provider is made with: the installation it serves. */
export interface ProviderContext {
  /** HF_PROVIDER_NAME: the provider instance (tag or name what it makes with it). */
  readonly providerName: string;
  /** HF_PROVIDER_WORKDIR: where the instance keeps its files (the provider may keep its own here). */
  readonly workDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * One capacity provider a plugin offers, registered under its `api` name: templates whose
 * `providerApi` is that name are served by the provider `create` makes (once per call of the
 * plugin, on first use). The AWS providers register the same way.
 */
export interface ProviderFactory {
  /** The `providerApi` of the templates it serves (letters, digits, `_`, `-` and `.`). */
  readonly api: ProviderApi;
  /**
   * The settings its templates carry under `providerSettings`, checked when the configuration
   * loads (an unknown or invalid one is refused, naming the key). Absent: templates may not carry any.
   */
  readonly templateSettings?: SettingsSchema;
  /** Makes the provider. May throw HostFactoryError `CONFIG_INVALID` (then the call fails with it). */
  create(context: ProviderContext): CapacityProvider | Promise<CapacityProvider>;
}

/**
 * What a plugin module exports: `export const providers: ProviderFactory[]` (or a default export
 * with `providers`). The configuration names plugin modules in `PROVIDER_PLUGINS` /
 * `provider.plugins`, by path or installed package name.
 */
export interface ProviderPlugin {
  readonly providers: readonly ProviderFactory[];
}

/** The pattern a provider's `api` name must match. */
export const PROVIDER_API_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
