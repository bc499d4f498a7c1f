import { PROVIDER_API_PATTERN, type ProviderApi, type ProviderFactory, type SettingsSchema } from '@open-hostfactory/core';

/** The AWS capacity providers built into the plugin (their template settings are IBM's template keys). */
export const AWS_PROVIDER_APIS: readonly ProviderApi[] = ['RunInstances', 'EC2Fleet', 'SpotFleet', 'ASG'];

/** A plugin's provider factory and where it came from (for errors and `config show`). */
export interface RegisteredFactory {
  readonly factory: ProviderFactory;
  /** The plugin module's resolved path. */
  readonly module: string;
}

/**
 * The capacity providers of one installation, by `providerApi`: the built-in AWS ones and those
 * the configured plugins register. Names are matched case-insensitively (IBM files write
 * `runinstances` too); a name registered twice is refused when the registry is built.
 */
export class ProviderRegistry {
  private readonly byLowerName = new Map<string, { api: ProviderApi; plugin?: RegisteredFactory }>();

  constructor(plugins: readonly RegisteredFactory[] = []) {
    for (const api of AWS_PROVIDER_APIS) this.byLowerName.set(api.toLowerCase(), { api });
    for (const plugin of plugins) {
      const api = plugin.factory.api;
      const existing = this.byLowerName.get(api.toLowerCase());
      if (existing) {
        const where = existing.plugin ? `plugin ${existing.plugin.module}` : 'the built-in AWS providers';
        throw new Error(`providerApi '${api}' of plugin ${plugin.module} is already registered by ${where}`);
      }
      this.byLowerName.set(api.toLowerCase(), { api, plugin });
    }
  }

  /** The registered name `name` stands for (any case), or undefined. */
  canonical(name: string): ProviderApi | undefined {
    return this.byLowerName.get(name.trim().toLowerCase())?.api;
  }

  /** True for the built-in AWS providers. */
  isAws(api: ProviderApi): boolean {
    const entry = this.byLowerName.get(api.toLowerCase());
    return entry !== undefined && entry.plugin === undefined;
  }

  /** The plugin that registers `api`; undefined for the AWS providers and unknown names. */
  plugin(api: ProviderApi): RegisteredFactory | undefined {
    return this.byLowerName.get(api.toLowerCase())?.plugin;
  }

  /** The template settings schema of a plugin's provider (undefined: its templates may carry none). */
  templateSettings(api: ProviderApi): SettingsSchema | undefined {
    return this.plugin(api)?.factory.templateSettings;
  }

  /** Every registered name, the AWS ones first. */
  apis(): ProviderApi[] {
    return [...this.byLowerName.values()].map((entry) => entry.api);
  }

  /** The plugins' factories, in configuration order. */
  plugins(): RegisteredFactory[] {
    return [...this.byLowerName.values()].flatMap((entry) => (entry.plugin ? [entry.plugin] : []));
  }
}

/** Why `value` is not a usable provider factory, or undefined when it is. */
export function badFactory(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'is not an object';
  const candidate = value as Partial<ProviderFactory>;
  if (typeof candidate.api !== 'string' || !PROVIDER_API_PATTERN.test(candidate.api)) {
    return `has api ${JSON.stringify(candidate.api)}, not a name of letters, digits, '_', '-' and '.' starting with a letter`;
  }
  if (typeof candidate.create !== 'function') return `'${candidate.api}' has no create(context) function`;
  if (candidate.templateSettings !== undefined && (typeof candidate.templateSettings !== 'object' || candidate.templateSettings === null)) {
    return `'${candidate.api}' has templateSettings that are not a map of setting specs`;
  }
  return undefined;
}
