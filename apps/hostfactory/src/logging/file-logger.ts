import { appendFileSync, mkdirSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@open-hostfactory/core';
import { tryLock } from '../file-lock';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

const SEVERITY: Readonly<Record<LogLevelName, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface FileLoggerOptions {
  readonly filePath: string;
  readonly level: LogLevelName;
  /** Bytes a file may reach before it is rotated. */
  readonly maxSize: number;
  /** Rotated files kept (`file.1` … `file.N`); 0 = truncate the file instead. */
  readonly backupCount: number;
  /** Also write every line to stderr. */
  readonly stderr: boolean;
  /** Fields on every line (provider, command…). */
  readonly context?: LogFields;
  /** Where stderr lines go; default a synchronous write to file descriptor 2 (a test seam). */
  readonly writeStderr?: (text: string) => void;
}

/** The file of a logger, and whether it has failed. */
class LogSink {
  private directoryReady = false;
  private failed = false;
  private readonly writeStderr: (text: string) => void;

  constructor(private readonly options: FileLoggerOptions) {
    const target = options.writeStderr ?? writeStderrSync;
    this.writeStderr = (text) => {
      try {
        target(text);
      } catch {
        // nowhere left to write
      }
    };
  }

  write(line: string): void {
    if (this.options.stderr) this.writeStderr(line);
    if (this.failed) {
      if (!this.options.stderr) this.writeStderr(line);
      return;
    }
    try {
      if (!this.directoryReady) {
        mkdirSync(dirname(this.options.filePath), { recursive: true });
        this.directoryReady = true;
      }
      this.rotateIfNeeded(Buffer.byteLength(line));
      // Owner-only whatever the umask (a log names hosts, requests and errors): the mode applies
      // when this write creates the file.
      appendFileSync(this.options.filePath, line, { mode: 0o600 });
    } catch (error) {
      // Logging must never fail the call: switch to stderr for the rest of the process.
      this.failed = true;
      if (!this.options.stderr) {
        this.writeStderr(
          serialize({
            time: new Date().toISOString(),
            level: 'warn',
            msg: 'log file not writable, logging to stderr',
            pid: process.pid,
            file: this.options.filePath,
            error: describeError(error),
          }),
        );
        this.writeStderr(line);
      }
    }
  }

  /**
   * Size-based rotation that tolerates other processes logging to the same file: one rotates at
   * a time (an exclusive `<file>.lock`; the others just append), the size is checked again
   * under the lock, and a rename whose source is already gone is ignored.
   */
  private rotateIfNeeded(incoming: number): void {
    const { filePath, maxSize } = this.options;
    if (!needsRotation(filePath, incoming, maxSize)) return;
    const release = tryLock(`${filePath}.lock`);
    if (!release) return; // another process is rotating: append, the file is rotated shortly
    try {
      if (needsRotation(filePath, incoming, maxSize)) this.rotate();
    } finally {
      release();
    }
  }

  private rotate(): void {
    const { filePath, backupCount } = this.options;
    if (backupCount <= 0) {
      ignoreMissing(() => truncateSync(filePath, 0));
      return;
    }
    for (let index = backupCount - 1; index >= 1; index--) {
      ignoreMissing(() => renameSync(`${filePath}.${index}`, `${filePath}.${index + 1}`));
    }
    ignoreMissing(() => renameSync(filePath, `${filePath}.1`));
  }
}

function needsRotation(filePath: string, incoming: number, maxSize: number): boolean {
  let size: number;
  try {
    size = statSync(filePath).size;
  } catch {
    return false; // no file yet
  }
  return size > 0 && size + incoming > maxSize;
}

function ignoreMissing(action: () => void): void {
  try {
    action();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function writeStderrSync(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // nowhere left to write
  }
}

/** `{name, message, code, stack}` (plus `details` and `cause` when present) of an Error. */
export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  const extra = error as Error & { code?: unknown; details?: unknown };
  if (extra.code !== undefined) described['code'] = extra.code;
  if (extra.details !== undefined) described['details'] = extra.details;
  if (error.stack) described['stack'] = error.stack;
  if (error.cause !== undefined && depth < 3) described['cause'] = describeError(error.cause, depth + 1);
  return described;
}

/** One JSON line; never throws (cycles become "[Circular]", bigints strings, Errors objects). */
function serialize(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(record, (_key, value: unknown) => {
        if (typeof value === 'bigint') return value.toString();
        if (value instanceof Error) return describeError(value);
        if (typeof value === 'object' && value !== null) {
          if (seen.has(value)) return '[Circular]';
          seen.add(value);
        }
        return value;
      }) + '\n'
    );
  } catch (error) {
    return JSON.stringify({ time: record['time'], level: record['level'], msg: record['msg'], pid: process.pid, logError: String(error) }) + '\n';
  }
}

class FileLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly threshold: number,
    private readonly context: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevelName, message: string, fields: LogFields | undefined): void {
    if (SEVERITY[level] < this.threshold) return;
    try {
      const line = serialize({
        time: new Date().toISOString(),
        level,
        msg: message,
        pid: process.pid,
        ...this.context,
        ...fields,
      });
      this.sink.write(line);
    } catch {
      // never fail a call because of logging
    }
  }
}

/**
 * A logger writing one JSON object a line (`{"time", "level", "msg", "pid", ...context, ...fields}`)
 * to `filePath`, appended synchronously so nothing is lost when the process exits right after.
 * Creates the directory, rotates by size (several processes may share the file), filters by
 * level, never writes to stdout, writes to stderr only when `stderr` is set — or, silently,
 * when the file cannot be written. Never throws.
 */
export function createFileLogger(options: FileLoggerOptions): Logger {
  const threshold = SEVERITY[options.level] ?? SEVERITY.info;
  return new FileLogger(new LogSink(options), threshold, options.context ?? {});
}
