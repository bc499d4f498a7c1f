import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ProviderFactory } from '@open-hostfactory/core';
import { configError } from '../config/config-error';
import { badFactory, type RegisteredFactory } from './registry';

/** A plugin module the configuration names, resolved to its file, and where it was stated. */
export interface PluginRef {
  /** As the configuration states it. */
  readonly specifier: string;
  /** The module's file. */
  readonly path: string;
  /** The config file (or `environment`) and key that state it, for errors. */
  readonly file: string;
  readonly key: string;
}

/**
 * Resolves a plugin specifier stated in `file`: a path (`./x.js`, `/opt/p/index.js`) relative
 * to the file's directory, or an installed package name (`@acme/hf-provider`) looked up from that
 * directory the way Node looks up modules (its `node_modules` and the ones above, then NODE_PATH).
 * Throws CONFIG_INVALID naming the file, the key and the specifier.
 */
export function resolvePlugin(specifier: string, file: string, key: string): PluginRef {
  const baseDir = file === 'environment' ? process.cwd() : dirname(file);
  const asPath = /^(\.{1,2}[\\/]|[\\/])/.test(specifier) || isAbsolute(specifier);
  try {
    const path = createRequire(join(baseDir, 'plugin-base.js')).resolve(asPath ? resolve(baseDir, specifier) : specifier);
    return { specifier, path, file, key };
  } catch (error) {
    throw configError(file, key, `cannot find plugin module '${specifier}' (looked from ${baseDir}): ${(error as Error).message.split('\n')[0]}`, {
      specifier,
    });
  }
}

/**
 * Loads each plugin module (synchronously, with `require`, which loads CommonJS and, on Node
 * 20.19 and later, ES modules) and takes its provider factories: `export const providers = [...]`,
 * or a default export holding `providers`. Throws CONFIG_INVALID naming the key and the module
 * when it cannot be loaded or does not export valid factories.
 */
export function loadPlugins(refs: readonly PluginRef[]): RegisteredFactory[] {
  const loaded: RegisteredFactory[] = [];
  for (const ref of refs) {
    let exported: unknown;
    try {
      exported = createRequire(ref.path)(ref.path);
    } catch (error) {
      throw configError(ref.file, ref.key, `plugin module ${ref.path} failed to load: ${(error as Error).message.split('\n')[0]}`, {
        module: ref.path,
      });
    }
    const providers = providersOf(exported);
    if (!Array.isArray(providers) || providers.length === 0) {
      throw configError(ref.file, ref.key, `plugin module ${ref.path} exports no providers (export const providers = [{ api, create }])`, {
        module: ref.path,
      });
    }
    for (const [index, factory] of providers.entries()) {
      const bad = badFactory(factory);
      if (bad) throw configError(ref.file, ref.key, `plugin module ${ref.path}: providers[${index}] ${bad}`, { module: ref.path });
      loaded.push({ factory: factory as ProviderFactory, module: ref.path });
    }
  }
  return loaded;
}

function providersOf(exported: unknown): unknown {
  if (typeof exported !== 'object' || exported === null) return undefined;
  const named = (exported as { providers?: unknown }).providers;
  if (named !== undefined) return named;
  const fallback = (exported as { default?: { providers?: unknown } }).default;
  return typeof fallback === 'object' && fallback !== null ? fallback.providers : undefined;
}
