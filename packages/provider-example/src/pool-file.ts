import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostFactoryError } from '@open-hostfactory/core';

/** One host handed out: to which request, by which attempt, and the machine id HF knows it by. */
export interface Lease {
  readonly host: string;
  readonly machineId: string;
  readonly requestId: string;
  readonly templateId: string;
  readonly attempt: number;
  /** What HF is told the machine's instance type is (the template's `instanceType` setting). */
  readonly instanceType: string;
  /** Epoch seconds. */
  readonly since: number;
}

/** What the pool file holds: the hosts handed out, by host. */
export interface PoolState {
  readonly leases: Readonly<Record<string, Lease>>;
}

/** A lock older than this belongs to a process that died holding it. */
const STALE_LOCK_MS = 30_000;
/** How long a caller waits for the lock before failing (transient: HF retries the call). */
const LOCK_WAIT_MS = 10_000;
const RETRY_MS = 20;

/**
 * The hosts a static pool has handed out, in one JSON file of the provider instance's work dir.
 * Every change happens under an exclusive lock file (`<file>.lock`, created with `wx`; one left by
 * a dead process is taken over after 30 s) and is written to a temp file renamed over the old
 * one, so concurrent HF calls never hand out a host twice and a reader never sees a partial file.
 */
export class PoolFile {
  constructor(private readonly path: string) {}

  /** The current state (no lock: the file is replaced whole). */
  read(): PoolState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { leases: {} };
      throw new HostFactoryError('STORAGE_ERROR', `cannot read the static pool file ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as PoolState;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.leases !== 'object') throw new Error('no leases');
      return parsed;
    } catch (error) {
      throw new HostFactoryError('STORAGE_ERROR', `the static pool file ${this.path} is corrupt: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Runs `change` on the current state under the lock and stores what it returns; returns its result. */
  async update<T>(change: (state: PoolState) => { state: PoolState; result: T }): Promise<T> {
    mkdirSync(dirname(this.path), { recursive: true });
    await this.lock();
    try {
      const { state, result } = change(this.read());
      const temp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      renameSync(temp, this.path);
      return result;
    } finally {
      rmSync(this.lockPath, { force: true });
    }
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        closeSync(openSync(this.lockPath, 'wx'));
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      try {
        if (Date.now() - statSync(this.lockPath).mtimeMs > STALE_LOCK_MS) rmSync(this.lockPath, { force: true });
      } catch {
        // released meanwhile: try again
      }
      if (Date.now() > deadline) {
        throw new HostFactoryError('CONFLICT', `the static pool file ${this.path} stayed locked for ${LOCK_WAIT_MS / 1000} s`, { transient: true });
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
