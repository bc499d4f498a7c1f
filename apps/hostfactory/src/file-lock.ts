import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';

/** A lock file older than this belongs to a process that died holding it. */
export const STALE_LOCK_MS = 10_000;

/** Takes `<lock>` (an exclusive create) at once, or returns undefined; a stale one is removed for the next try. */
export function tryLock(lock: string): (() => void) | undefined {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch {
    removeStaleLock(lock);
    return undefined;
  }
  return () => {
    closeSync(fd);
    try {
      unlinkSync(lock);
    } catch {
      // removed as stale by another process: nothing left to release
    }
  };
}

/**
 * Runs `action` holding `<lock>`, waiting up to `waitMs` for another process to release it
 * (polling every few ms, synchronously: HF calls are short single-threaded processes). Returns
 * false, without running `action`, when the lock could not be had in time.
 */
export function withLock(lock: string, waitMs: number, action: () => void): boolean {
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const release = tryLock(lock);
    if (release) {
      try {
        action();
      } finally {
        release();
      }
      return true;
    }
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 3);
  }
}

/** A lock left by a process that died while holding it is removed after {@link STALE_LOCK_MS}. */
function removeStaleLock(lock: string): void {
  try {
    if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
  } catch {
    // gone already, or not ours to remove
  }
}
