import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_PROVIDER_SETTINGS, checkSettings, type ProviderSettings, type Template } from '@open-hostfactory/core';
import { loadPlugins, resolvePlugin, type PluginRef } from '../providers/plugins';
import { ProviderRegistry } from '../providers/registry';
import {
  type AppConfig,
  type ProxyConfig,
  DEFAULT_INSTANCE_TYPES_TTL_SEC,
  DEFAULT_TEMPLATE_CHECK_TTL_SEC,
  DEFAULT_LOG_BACKUP_COUNT,
  DEFAULT_LOG_MAX_SIZE,
  DEFAULT_PROVIDER_CONFIG,
  DEFAULT_PROVIDER_NAME,
} from './app-config';
import { configError } from './config-error';
import { AWS_TEMPLATE_PROPERTIES, UNSUPPORTED_TEMPLATE_KEYS, normalizeTemplate } from './normalize-template';
import { type ConfigDocument, readConfigFile } from './read-config-file';
import { checkKeys, PROVIDER_SETTING_KEYS, type Settings, settingsFromDocument, settingsFromEnv, UNSUPPORTED_KEYS } from './settings';
import { CommonTemplateRules, TemplateRules } from './template-rules';
import { findProblems } from './validation';

export interface LoadConfigOptions {
  /** The process environment (HF sets HF_PROVIDER_NAME, HF_PROVIDER_CONFDIR…). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths in the environment; default `process.cwd()`. */
  readonly cwd?: string;
}

/** The directories of one provider instance, after HF's defaults. */
export interface ProviderDirs {
  readonly confDir?: string;
  readonly workDir: string;
  readonly logDir: string;
}

/** One config source, lowest precedence first. */
interface Layer {
  readonly file: string;
  readonly settings: Settings;
  /** The key each setting was read from. */
  readonly statedAt: Readonly<Record<string, string>>;
  /** The source's document (undefined for the environment): its templates are read once the providers are known. */
  readonly document?: ConfigDocument;
  /** The plugin modules the source states, resolved from its directory. */
  readonly plugins?: readonly PluginRef[];
  /** Keys the plugin deliberately does not support that the file states. */
  readonly unsupported?: readonly string[];
}

/** Guide config files looked for in the config dir, first found wins. */
export const GUIDE_CONFIG_FILES: readonly string[] = ['config.yml', 'config.yaml', 'config.json'];

/**
 * Loads the configuration of one provider instance, merging in rising precedence:
 * built-in defaults; in the provider config dir `<name>prov_config.json` (or the generic
 * `awsprov_config.json`), `<name>prov_templates.json` (or `awsprov_templates.json`) and the
 * guide's `config.yml` / `config.yaml` / `config.json`; the file named by `CONFIG_PATH`;
 * then the environment (`HF_PROVIDER_NAME`/`PROVIDER_NAME`, `LOG_LEVEL`, `LOG_STDERR`,
 * `AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`).
 * Templates of a higher source replace those of the same id in place; others keep file order.
 * Synchronous (cold start of every HF call). Throws HostFactoryError `CONFIG_INVALID` whose
 * message and details name the file, the key and the reason.
 */
export function loadConfig(options: LoadConfigOptions): AppConfig {
  const { env } = options;
  const cwd = resolve(options.cwd ?? process.cwd());
  const fromEnv = settingsFromEnv(env);
  const providerName = fromEnv.settings.providerName ?? DEFAULT_PROVIDER_NAME;
  const dirs = resolveProviderDirs(env, providerName, cwd);

  const looked: string[] = [];
  const files = configFiles(env, providerName, dirs.confDir, cwd, looked);
  const layers: Layer[] = files.map((file) => readLayer(file));
  const envPlugins = fromEnv.settings.plugins?.map((specifier) => resolvePlugin(specifier, 'environment', 'PROVIDER_PLUGINS'));
  layers.push({ file: 'environment', ...fromEnv, ...(envPlugins ? { plugins: envPlugins } : {}) });

  const settings: Settings = {};
  const sources: Record<string, string> = {};
  for (const layer of layers) {
    Object.assign(settings, layer.settings);
    for (const [key, path] of Object.entries(layer.statedAt)) {
      sources[key] = layer.file === 'environment' ? `env:${path}` : `${layer.file} (${path})`;
    }
  }
  // `profile: default` (the integration guide's example) means the default credential chain:
  // naming it would make the SDK skip credentials from the environment or an instance role.
  if (settings.profile === 'default') delete settings.profile;

  // The plugins of the highest source that states them (like any setting) register their providers.
  const pluginRefs = [...layers].reverse().find((layer) => layer.plugins !== undefined)?.plugins ?? [];
  const registry = buildRegistry(pluginRefs);
  if (pluginRefs.length > 0) settings.plugins = pluginRefs.map((ref) => ref.path);

  const templateNotices: string[] = [];
  const templateLayers = layers.flatMap((layer) => {
    const templates = layer.document ? readTemplates(layer.document, layer.file, registry, templateNotices) : undefined;
    return templates === undefined ? [] : [{ file: layer.file, templates }];
  });
  if (templateLayers.length === 0) {
    throw configError(
      dirs.confDir ?? env['CONFIG_PATH'] ?? 'environment',
      'templates',
      `no templates configured (looked in ${looked.join(', ') || 'nothing: neither HF_PROVIDER_CONFDIR, HF_CONFDIR nor CONFIG_PATH is set'})`,
      { looked },
    );
  }
  const templates = new Map<string, Template>();
  for (const layer of templateLayers) {
    for (const template of layer.templates) templates.set(template.templateId, template);
  }

  const notices = [
    ...layers.flatMap((layer) =>
      (layer.unsupported ?? []).map((key) => `${layer.file}: ${key} is not supported and has no effect (${UNSUPPORTED_KEYS[key]})`),
    ),
    ...templateNotices,
    ...(settings.credentialScript !== undefined && settings.credentialFile !== undefined
      ? ["AWS_CREDENTIAL_SCRIPT and AWS_CREDENTIAL_FILE are both set: the script is used, as in IBM's provider; AWS_CREDENTIAL_FILE has no effect"]
      : []),
  ];

  return {
    providerName,
    ...(dirs.confDir === undefined ? {} : { confDir: dirs.confDir }),
    notices,
    sources,
    workDir: dirs.workDir,
    logDir: dirs.logDir,
    provider: {
      ...DEFAULT_PROVIDER_CONFIG,
      ...pick(settings, PROVIDER_SETTING_KEYS),
      proxy: proxySettings(settings, env, layers),
    },
    storage: {
      type: settings.storageType ?? 'sqlite',
      path: settings.storagePath === undefined ? dirs.workDir : resolve(dirs.workDir, settings.storagePath),
      dynamodb: {
        tablePrefix: settings.dynamodbTablePrefix ?? 'hostfactory',
        region: settings.dynamodbRegion ?? settings.region ?? DEFAULT_PROVIDER_CONFIG.region,
        ...((settings.dynamodbEndpointUrl ?? settings.endpointUrl) === undefined
          ? {}
          : { endpointUrl: settings.dynamodbEndpointUrl ?? settings.endpointUrl }),
        backupEnabled: settings.dynamodbBackupEnabled ?? false,
      },
      retentionDays: settings.retentionDays ?? DEFAULT_PROVIDER_SETTINGS.retentionDays,
    },
    logging: {
      level: settings.logLevel ?? 'info',
      filePath: settings.logFilePath === undefined ? join(dirs.logDir, `${providerName}-provider.log`) : resolve(dirs.logDir, settings.logFilePath),
      maxSize: settings.logMaxSize ?? DEFAULT_LOG_MAX_SIZE,
      backupCount: settings.logBackupCount ?? DEFAULT_LOG_BACKUP_COUNT,
      stderr: settings.logStderr ?? false,
    },
    // caching.enabled: false turns every cache off, whatever its TTL says.
    caching:
      settings.cachingEnabled === false
        ? { enabled: false, instanceTypesTtlSec: 0, templateCheckTtlSec: 0 }
        : {
            enabled: true,
            instanceTypesTtlSec: settings.instanceTypesTtlSec ?? DEFAULT_INSTANCE_TYPES_TTL_SEC,
            templateCheckTtlSec: settings.templateCheckTtlSec ?? DEFAULT_TEMPLATE_CHECK_TTL_SEC,
          },
    monitoring: {
      enabled: settings.metricsEnabled ?? true,
      file: resolve(dirs.workDir, settings.metricsFile ?? `${providerName}.prom`),
      ...(settings.metricsEndpoint ? { pushEndpoint: settings.metricsEndpoint } : {}),
    },
    templates: [...templates.values()],
    registry,
  };
}

/** The registry of the AWS providers and the plugins' (CONFIG_INVALID naming the key when a plugin is unusable). */
function buildRegistry(refs: readonly PluginRef[]): ProviderRegistry {
  const factories = loadPlugins(refs);
  try {
    return new ProviderRegistry(factories);
  } catch (error) {
    const ref = refs[refs.length - 1];
    throw configError(ref?.file ?? 'environment', ref?.key ?? 'PROVIDER_PLUGINS', (error as Error).message);
  }
}

/**
 * HF's directories: `HF_PROVIDER_CONFDIR` (default `$HF_CONFDIR/providers/<name>`),
 * `HF_PROVIDER_WORKDIR` (default `$HF_WORKDIR/providers/<name>`, else `<cwd>/.hostfactory/work`),
 * `HF_PROVIDER_LOGDIR` (default `$HF_LOGDIR`, else `<workDir>/logs`). Relative paths resolve from `cwd`.
 */
export function resolveProviderDirs(env: Readonly<Record<string, string | undefined>>, providerName: string, cwd: string): ProviderDirs {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? resolve(cwd, value) : undefined;
  };
  const hfConfDir = get('HF_CONFDIR');
  const hfWorkDir = get('HF_WORKDIR');
  const confDir = get('HF_PROVIDER_CONFDIR') ?? (hfConfDir ? join(hfConfDir, 'providers', providerName) : undefined);
  const workDir = get('HF_PROVIDER_WORKDIR') ?? (hfWorkDir ? join(hfWorkDir, 'providers', providerName) : join(cwd, '.hostfactory', 'work'));
  const logDir = get('HF_PROVIDER_LOGDIR') ?? get('HF_LOGDIR') ?? join(workDir, 'logs');
  return { ...(confDir === undefined ? {} : { confDir }), workDir, logDir };
}

/** Maps the app config onto core's ProviderSettings port value. */
export function toProviderSettings(config: AppConfig): ProviderSettings {
  return {
    providerName: config.providerName,
    ...(config.provider.clusterName === undefined ? {} : { clusterName: config.provider.clusterName }),
    pendingTimeoutSec: config.provider.pendingTimeoutSec,
    maxFailedLaunchAttempts: config.provider.maxFailedLaunchAttempts,
    capacityTimeoutSec: config.provider.capacityTimeoutSec,
    catalogCacheTtlSec: config.caching.instanceTypesTtlSec,
    launchLeaseSec: config.provider.actionTimeoutSec,
    orphanTimeoutSec: config.provider.orphanTimeoutSec,
    orphanAction: config.provider.orphanAction,
    orphanGraceSec: config.provider.orphanGraceSec,
    orphanSweepIntervalSec: config.provider.orphanSweepIntervalSec,
    returnTimeoutSec: config.provider.returnTimeoutSec,
    retentionDays: config.storage.retentionDays,
    cpuCounting: config.provider.egoDefineNcpus,
    bootstrapFailureLimit: config.provider.bootstrapFailureLimit,
    bootstrapCoolOffSec: config.provider.bootstrapCoolOffSec,
  };
}

/**
 * Where AWS requests go through a forward proxy: the files' AWS_PROXY_HOST/AWS_PROXY_PORT (IBM's
 * keys; `provider.aws.proxy_host`/`proxy_port` in YAML) for every endpoint, else the standard
 * environment (`HTTPS_PROXY` for https endpoints, `HTTP_PROXY` for http ones, either case);
 * `NO_PROXY` (either case) names hosts reached directly. Checked here, naming the key.
 */
function proxySettings(settings: Settings, env: Readonly<Record<string, string | undefined>>, layers: readonly Layer[]): ProxyConfig | undefined {
  const fileOf = (key: 'proxyHost' | 'proxyPort'): string =>
    [...layers].reverse().find((layer) => layer.settings[key] !== undefined)?.file ?? 'environment';
  const fromEnv = (name: string): { name: string; value: string } | undefined => {
    for (const candidate of [name, name.toLowerCase()]) {
      const value = env[candidate]?.trim();
      if (value) return { name: candidate, value };
    }
    return undefined;
  };
  let url: string | undefined;
  if (settings.proxyHost !== undefined || settings.proxyPort !== undefined) {
    if (settings.proxyHost === undefined) throw configError(fileOf('proxyPort'), 'AWS_PROXY_PORT', 'is set without AWS_PROXY_HOST');
    const host = settings.proxyHost.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    const scheme = /^https:\/\//.test(settings.proxyHost) ? 'https' : 'http';
    const withPort = settings.proxyPort === undefined ? host : `${host}:${settings.proxyPort}`;
    if (!/:\d+$/.test(withPort)) throw configError(fileOf('proxyHost'), 'AWS_PROXY_PORT', `is required with AWS_PROXY_HOST (${settings.proxyHost})`);
    url = checkedProxyUrl(`${scheme}://${withPort}`, fileOf('proxyHost'), 'AWS_PROXY_HOST');
  }
  const https = fromEnv('HTTPS_PROXY');
  const http = fromEnv('HTTP_PROXY');
  const noProxy = fromEnv('NO_PROXY');
  const proxy: ProxyConfig = {
    ...(url ? { url } : {}),
    ...(https ? { httpsProxy: checkedProxyUrl(https.value, 'environment', https.name) } : {}),
    ...(http ? { httpProxy: checkedProxyUrl(http.value, 'environment', http.name) } : {}),
    ...(noProxy ? { noProxy: noProxy.value } : {}),
  };
  return proxy.url || proxy.httpsProxy || proxy.httpProxy ? proxy : undefined;
}

function checkedProxyUrl(value: string, file: string, key: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw configError(file, key, `must be a proxy such as http://proxy.example.com:3128 (got ${JSON.stringify(value)})`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw configError(file, key, `must be an http:// or https:// proxy with a host (got ${JSON.stringify(value)})`);
  }
  return parsed.toString().replace(/\/$/, '');
}

/** The existing config files, lowest precedence first; `looked` collects every path tried. */
function configFiles(
  env: Readonly<Record<string, string | undefined>>,
  providerName: string,
  confDir: string | undefined,
  cwd: string,
  looked: string[],
): string[] {
  const files: string[] = [];
  const firstExisting = (candidates: string[]): void => {
    const unique = [...new Set(candidates)];
    looked.push(...unique);
    const found = unique.find((file) => existsSync(file));
    if (found) files.push(found);
  };
  if (confDir !== undefined) {
    // The instance-specific file wins over the generic one; only one of them is read.
    firstExisting([join(confDir, `${providerName}prov_config.json`), join(confDir, 'awsprov_config.json')]);
    firstExisting([join(confDir, `${providerName}prov_templates.json`), join(confDir, 'awsprov_templates.json')]);
    firstExisting(GUIDE_CONFIG_FILES.map((name) => join(confDir, name)));
  }
  const configPath = env['CONFIG_PATH']?.trim();
  if (configPath) {
    const file = isAbsolute(configPath) ? configPath : resolve(cwd, configPath);
    looked.push(file);
    if (!existsSync(file)) throw configError(file, 'CONFIG_PATH', 'names a file that does not exist');
    if (!files.includes(file)) files.push(file);
  }
  return files;
}

function readLayer(file: string): Layer {
  const document = readConfigFile(file);
  const { unknown, unsupported } = checkKeys(document);
  const [first] = unknown;
  if (first) {
    throw configError(
      file,
      first.key,
      `unknown key${first.suggestion ? ` (did you mean ${first.suggestion}?)` : ''}; every key is listed in docs/configuration.md`,
      { unknownKeys: unknown.map((entry) => entry.key), ...(first.suggestion ? { suggestion: first.suggestion } : {}) },
    );
  }
  const { settings, statedAt } = settingsFromDocument(document, file);
  if (settings.credentialFile !== undefined) {
    settings.credentialFile = resolve(dirname(file), settings.credentialFile);
  }
  if (settings.credentialScript !== undefined) {
    const script = resolve(dirname(file), settings.credentialScript);
    const key = statedAt['credentialScript'] ?? 'AWS_CREDENTIAL_SCRIPT';
    if (!isExecutableFile(script))
      throw configError(file, key, `'${script}' is not an executable file (the program that prints the AWS credentials)`);
    settings.credentialScript = script;
  }
  const plugins = settings.plugins?.map((specifier) => resolvePlugin(specifier, file, statedAt['plugins'] ?? 'PROVIDER_PLUGINS'));
  return { file, settings, statedAt, unsupported, document, ...(plugins ? { plugins } : {}) };
}

function readTemplates(document: ConfigDocument, file: string, registry: ProviderRegistry, notices: string[]): Template[] | undefined {
  const list = document['templates'];
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw configError(file, 'templates', 'must be a list of templates');
  const seen = new Map<string, number>();
  return list.map((entry: unknown, index): Template => {
    const prefix = `templates[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw configError(file, prefix, 'must be an object');
    }
    const template = checkedTemplate(entry as Record<string, unknown>, file, prefix, registry, notices);
    const previous = seen.get(template.templateId);
    if (previous !== undefined) {
      throw configError(
        file,
        `${prefix}.${'templateId' in (entry as object) ? 'templateId' : 'template_id'}`,
        `duplicate templateId '${template.templateId}' (also templates[${previous}])`,
      );
    }
    seen.set(template.templateId, index);
    return template;
  });
}

/**
 * One template entry, normalised and checked: the AWS providers' templates by the IBM template
 * rules; a plugin provider's by the common rules, with its `providerSettings` checked against the
 * schema the provider defines (and no AWS key, which it would not honour).
 */
function checkedTemplate(entry: Record<string, unknown>, file: string, prefix: string, registry: ProviderRegistry, notices: string[]): Template {
  const candidate = normalizeTemplate(entry, file, prefix, dirname(file), registry);
  const keyOf = (property: string): string => `${prefix}.${candidate.sourceKeys[property] ?? property}`;
  const [unknown] = candidate.unknown;
  if (unknown) {
    throw configError(
      file,
      `${prefix}.${unknown.key}`,
      `unknown template key${unknown.suggestion ? ` (did you mean ${unknown.suggestion}?)` : ''}; a provider's own settings go under providerSettings (docs/configuration.md lists every template key)`,
      unknown.suggestion ? { suggestion: unknown.suggestion } : {},
    );
  }
  for (const key of candidate.unsupported)
    notices.push(`${file}: ${prefix}.${key} is not supported and has no effect (${UNSUPPORTED_TEMPLATE_KEYS[key]})`);
  const api = candidate.values['providerApi'];
  if (typeof api !== 'string' || registry.canonical(api) === undefined) {
    throw configError(
      file,
      keyOf('providerApi'),
      `unknown providerApi ${typeof api === 'string' ? `'${api}'` : JSON.stringify(api)} (${registry.apis().join('|')}; a plugin in PROVIDER_PLUGINS registers others)`,
    );
  }
  const aws = registry.isAws(api);
  const rules = Object.assign(aws ? new TemplateRules() : new CommonTemplateRules(), candidate.values);
  const [problem] = findProblems(rules);
  if (problem) throw configError(file, keyOf(problem.property), problem.reason);
  const settingsKey = candidate.sourceKeys['providerSettings'] ?? 'providerSettings';
  const schema = registry.templateSettings(api);
  if (aws || schema === undefined) {
    if (candidate.values['providerSettings'] !== undefined) {
      throw configError(
        file,
        `${prefix}.${settingsKey}`,
        aws ? `the AWS providers take no providerSettings (their settings are template keys)` : `providerApi ${api} defines no template settings`,
      );
    }
  }
  if (!aws) {
    const stated = AWS_TEMPLATE_PROPERTIES.find((property) => candidate.stated.has(property));
    if (stated)
      throw configError(
        file,
        keyOf(stated),
        `is an AWS template setting; providerApi ${api} does not use it (its settings go under providerSettings)`,
      );
  }
  const template = withoutUndefined(candidate.values) as unknown as Template;
  if (aws) return { ...template, imageId: template.imageId ?? '' };
  const checked = schema ? checkSettings(schema, candidate.values['providerSettings']) : { values: undefined, problems: [] };
  const [bad] = checked.problems;
  if (bad) throw configError(file, `${prefix}.${settingsKey}${bad.key ? `.${bad.key}` : ''}`, bad.reason);
  return { ...template, imageId: '', subnetIds: [], securityGroupIds: [], ...(checked.values ? { providerSettings: checked.values } : {}) };
}

function withoutUndefined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
  return picked;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
