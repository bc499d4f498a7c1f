import { chmodSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Replaces `file` with `content` in one rename, so a reader never sees a partial file: written to
 * `<file>.<pid>.tmp` first, with `mode` set as meant (a new file's mode is masked by the umask;
 * a temporary file left by a killed call keeps its own until chmod).
 */
export function replaceFile(file: string, content: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}
