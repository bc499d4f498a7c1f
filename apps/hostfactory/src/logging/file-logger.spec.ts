import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { HostFactoryError } from '@open-hostfactory/core';
import { createFileLogger, type FileLoggerOptions } from './file-logger';

let root: string;
let stdoutSpy: jest.SpyInstance;
let stderr: string[];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ohf-log-'));
  stdoutSpy = jest.spyOn(process.stdout, 'write');
  stderr = [];
});

afterEach(() => {
  // Nothing a logger does may reach stdout.
  expect(stdoutSpy).not.toHaveBeenCalled();
  jest.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function options(overrides: Partial<FileLoggerOptions> = {}): FileLoggerOptions {
  return {
    filePath: join(root, 'logs', 'nested', 'awsinst-provider.log'),
    level: 'debug',
    maxSize: 1024 * 1024,
    backupCount: 3,
    stderr: false,
    writeStderr: (text) => stderr.push(text),
    ...overrides,
  };
}

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function stderrWrites(): string[] {
  return stderr;
}

describe('createFileLogger', () => {
  it('appends one JSON object a line with time, level, msg, pid, context and fields, creating the directory', () => {
    const logger = createFileLogger(options({ context: { provider: 'awsinst' } }));
    logger.info('first', { requestId: 'req-1' });
    logger.warn('second', { command: 'requestMachines', count: 2 });
    const [first, second] = lines(options().filePath);
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      msg: 'first',
      pid: process.pid,
      provider: 'awsinst',
      requestId: 'req-1',
    });
    expect(second).toMatchObject({ level: 'warn', msg: 'second', provider: 'awsinst', command: 'requestMachines', count: 2 });
    expect(stderrWrites()).toEqual([]);
  });

  it('serialises errors with name, message, code, details, stack and cause', () => {
    const logger = createFileLogger(options());
    const cause = new Error('socket hang up');
    logger.error('failed', { error: new HostFactoryError('PROVIDER_ERROR', 'boom', { cause, details: { a: 1 } }) });
    const [line] = lines(options().filePath);
    expect(line?.['error']).toEqual({
      name: 'HostFactoryError',
      message: 'boom',
      code: 'PROVIDER_ERROR',
      details: { a: 1 },
      stack: expect.stringContaining('boom'),
      cause: { name: 'Error', message: 'socket hang up', stack: expect.any(String) },
    });
  });

  it('survives circular fields', () => {
    const logger = createFileLogger(options());
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    logger.info('circular', { loop, big: BigInt(7) });
    expect(lines(options().filePath)[0]).toMatchObject({ loop: { name: 'loop', self: '[Circular]' }, big: '7' });
  });

  it('filters by level', () => {
    const logger = createFileLogger(options({ level: 'warn' }));
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines(options().filePath).map((line) => line['level'])).toEqual(['warn', 'error']);
  });

  it('rotates by size keeping backupCount backups', () => {
    const file = options().filePath;
    const logger = createFileLogger(options({ maxSize: 200, backupCount: 2 }));
    for (let i = 0; i < 12; i++) logger.info(`message ${i}`, { padding: 'x'.repeat(60) });
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const path of [file, `${file}.1`, `${file}.2`]) {
      expect(readFileSync(path).length).toBeLessThanOrEqual(200);
    }
    const newest = lines(file).map((line) => line['msg']);
    expect(newest[newest.length - 1]).toBe('message 11');
    const previous = lines(`${file}.1`).map((line) => line['msg']);
    expect(Number(String(previous[previous.length - 1]).split(' ')[1])).toBe(Number(String(newest[0]).split(' ')[1]) - 1);
  });

  it('truncates instead of rotating when backupCount is 0', () => {
    const file = options().filePath;
    const logger = createFileLogger(options({ maxSize: 150, backupCount: 0 }));
    for (let i = 0; i < 5; i++) logger.info(`message ${i}`, { padding: 'x'.repeat(60) });
    expect(existsSync(`${file}.1`)).toBe(false);
    expect(lines(file).map((line) => line['msg'])).toEqual(['message 4']);
  });

  it('keeps every line whole while several processes log and rotate the same file', async () => {
    const bundle = join(root, 'file-logger.js');
    buildSync({
      entryPoints: [join(__dirname, 'file-logger.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'silent',
    });
    const file = join(root, 'shared', 'provider.log');
    const script = [
      `const { createFileLogger } = require(${JSON.stringify(bundle)});`,
      `const logger = createFileLogger({ filePath: ${JSON.stringify(file)}, level: 'info', maxSize: 4096, backupCount: 50, stderr: false });`,
      `for (let i = 0; i < 150; i++) logger.info('line', { worker: Number(process.argv[1]), i, padding: 'x'.repeat(40) });`,
    ].join('\n');
    const run = (worker: number): Promise<{ code: number | null; output: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script, String(worker)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      });
    const results = await Promise.all([0, 1, 2, 3].map(run));
    expect(results).toEqual([0, 1, 2, 3].map(() => ({ code: 0, output: '' })));
    const files = readdirSync(join(root, 'shared')).filter((name) => name.startsWith('provider.log') && !name.endsWith('.lock'));
    expect(files.length).toBeGreaterThan(1);
    const all = files.flatMap((name) => lines(join(root, 'shared', name)));
    // Every line parses (none torn) and none is lost: one process rotates at a time.
    expect(all.every((line) => line['msg'] === 'line')).toBe(true);
    expect(new Set(all.map((line) => `${String(line['worker'])}:${String(line['i'])}`)).size).toBe(600);
    expect(all).toHaveLength(600);
  });

  it('writes to stderr too when asked', () => {
    const logger = createFileLogger(options({ stderr: true }));
    logger.info('to both');
    expect(lines(options().filePath)).toHaveLength(1);
    expect(stderrWrites().map((text) => JSON.parse(text) as { msg: string })).toEqual([expect.objectContaining({ msg: 'to both' })]);
  });

  it('falls back to stderr without throwing when the file cannot be written', () => {
    const blocker = join(root, 'not-a-dir');
    writeFileSync(blocker, 'a file where a directory should be');
    const logger = createFileLogger(options({ filePath: join(blocker, 'x.log') }));
    expect(() => {
      logger.info('one');
      logger.error('two');
    }).not.toThrow();
    const written = stderrWrites().map((text) => JSON.parse(text) as { msg: string });
    expect(written.map((line) => line.msg)).toEqual(['log file not writable, logging to stderr', 'one', 'two']);
  });
});
