import { join } from 'node:path';
import { HostFactoryError } from '@open-hostfactory/core';

/**
 * The database file of one provider instance: `<directory>/<providerName>.db`, the name reduced
 * to `[A-Za-z0-9._-]` (anything else becomes `_`, and it cannot start with a dot).
 * Call it with `HF_PROVIDER_WORKDIR` and `HF_PROVIDER_NAME`.
 */
export function sqliteFilePath(directory: string, providerName: string): string {
  if (directory.trim() === '') {
    throw new HostFactoryError('CONFIG_INVALID', 'The directory of the SQLite database is empty (HF_PROVIDER_WORKDIR)');
  }
  const safe = providerName
    .trim()
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\./, '_');
  if (safe === '') {
    throw new HostFactoryError('CONFIG_INVALID', 'The provider name is empty; cannot name its SQLite database');
  }
  return join(directory, `${safe}.db`);
}
