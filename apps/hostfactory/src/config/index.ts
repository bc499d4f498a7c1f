// Configuration of the command line: defaults, HF provider files, CONFIG_PATH, environment.
export {
  DEFAULT_INSTANCE_TYPES_TTL_SEC,
  DEFAULT_TEMPLATE_CHECK_TTL_SEC,
  DEFAULT_LOG_BACKUP_COUNT,
  DEFAULT_LOG_MAX_SIZE,
  DEFAULT_PROVIDER_CONFIG,
  DEFAULT_PROVIDER_NAME,
  LOG_LEVELS,
} from './app-config';
export type { AppConfig, CachingConfig, LoggingConfig, LogLevel, ProviderConfig, StorageConfig } from './app-config';
export { GUIDE_CONFIG_FILES, loadConfig, resolveProviderDirs, toProviderSettings } from './load-config';
export type { LoadConfigOptions, ProviderDirs } from './load-config';
export { parseSize } from './parse-size';
