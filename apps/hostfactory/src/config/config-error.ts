import { HostFactoryError } from '@open-hostfactory/core';

/**
 * A CONFIG_INVALID error naming the file (or 'environment'), the key and the reason:
 * `Invalid configuration in /etc/x.json: templates[1].maxNumber: must be an integer >= -1`.
 */
export function configError(
  file: string,
  key: string | undefined,
  reason: string,
  extra: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): HostFactoryError {
  const where = key ? `${key}: ${reason}` : reason;
  return new HostFactoryError('CONFIG_INVALID', `Invalid configuration in ${file}: ${where}`, {
    details: { file, key, reason, ...extra },
    cause,
  });
}
