import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@open-hostfactory/core';

/** The file in the work dir that remembers which configuration notices were logged. */
export const NOTICES_FILE = '.config-notices';

/**
 * Logs the configuration's notices (keys deliberately not supported) at warn once: HF runs a
 * process per call, so the notices logged are remembered in the work dir and logged again only
 * when they change (a file edited, a key added). Never fails the call.
 */
export function logNoticesOnce(notices: readonly string[], workDir: string, logger: Logger): void {
  if (notices.length === 0) return;
  const file = join(workDir, NOTICES_FILE);
  const text = `${notices.join('\n')}\n`;
  try {
    if (readFileSync(file, 'utf8') === text) return;
  } catch {
    // not logged yet
  }
  for (const notice of notices) logger.warn('configuration notice', { notice });
  try {
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
  } catch (error) {
    logger.debug('configuration notices not remembered', { file, error: String(error) });
  }
}
