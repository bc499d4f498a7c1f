import { readFileSync } from 'node:fs';
import { HostFactoryError, StateStore, silentLogger, type Logger } from '@open-hostfactory/core';
import type { Container } from 'inversify';
import { COMMAND_NAMES, COMMANDS, isCommandName, type Command } from './commands/commands';
import { loadConfig, type AppConfig } from './config';
import { CallMetrics } from './metrics/metrics';
import { recordCall } from './metrics/record-call';
import { logNoticesOnce } from './config-notices';
import { createFileLogger } from './logging';
import { startCallBudget, type CallBudget } from './call-budget';
import { createContainer, type Overrides } from './container';
import { resolve } from './wiring';
import { exitCodeFor, formatError, parseJsonDocument, serialize } from './wire';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Receives exactly one JSON document per call. */
  readonly stdout: (text: string) => void;
  /** Test seam: replaces adapters (a fake cloud, a fixed clock). */
  readonly overrides?: Overrides;
}

const USAGE = `usage: hostfactory <${COMMAND_NAMES.join('|')}> -f <input-file>`;

/**
 * Runs one HF call: reads `-f FILE`, validates it, loads the configuration, runs the use case
 * and prints one JSON document. Returns the exit status: 0 with the answer, non-zero with
 * `{"message", "error": {"code", "message", "details"}}`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // The scripts' own --help (HF never passes it): usage on stdout, exit 0.
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(
      `${USAGE}\n\nEach call reads its input from -f FILE and prints one JSON document; see docs/integration-guide.md.\nOperator commands: hostfactory.sh --help\n`,
    );
    return 0;
  }
  const started = Date.now();
  let logger: Logger = silentLogger;
  let container: Container | undefined;
  let budget: CallBudget | undefined;
  let config: AppConfig | undefined;
  let outcome = 'ok';
  const metrics = new CallMetrics();
  let commandName = argv[0] ?? '';
  try {
    const { command, file } = parseArgs(argv);
    commandName = command.name;
    // getAvailableTemplates has nothing to say: the integration guide calls it without -f.
    const parsed = command.parse(file === undefined ? {} : parseJsonDocument(readInput(file), file));
    config = loadConfig({ env: io.env, cwd: io.cwd });
    budget = startCallBudget(config.provider.actionTimeoutSec, started);
    logger = createFileLogger({
      ...config.logging,
      context: { provider: config.providerName, command: command.name },
    });
    logNoticesOnce(config.notices, config.workDir, logger);
    logger.debug('call', { file, input: parsed });
    container = await createContainer(config, logger, io.overrides, budget, config.monitoring.enabled ? metrics : undefined);
    const answer = await command.run(parsed, container);
    io.stdout(serialize(answer));
    logger.info('call done', { ms: Date.now() - started });
    return 0;
  } catch (error) {
    const document = formatError(error);
    outcome = document.error.code;
    logger.error('call failed', { command: commandName, error: document.error, cause: causeOf(error), ms: Date.now() - started });
    io.stdout(serialize(document));
    return exitCodeFor(error);
  } finally {
    const store = container ? await resolve(container, StateStore).catch(() => undefined) : undefined;
    // Still inside the call's budget: a store that stalls is aborted at the deadline like the rest.
    if (config?.monitoring.enabled) await recordCall(config, metrics, commandName, outcome, started, store, logger);
    budget?.dispose();
    if (container) {
      await store?.close().catch(() => undefined);
    }
  }
}

function parseArgs(argv: readonly string[]): { command: Command; file: string | undefined } {
  let name: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-f' || arg === '--file') {
      file = argv[++i];
    } else if (arg.startsWith('--file=')) {
      file = arg.slice('--file='.length);
    } else if (name === undefined) {
      name = arg;
    } else {
      throw new HostFactoryError('INVALID_INPUT', `Unexpected argument '${arg}'. ${USAGE}`);
    }
  }
  if (!name || !isCommandName(name)) {
    throw new HostFactoryError('INVALID_INPUT', `Unknown command '${name ?? ''}'. ${USAGE}`, {
      details: { commands: [...COMMAND_NAMES] },
    });
  }
  if (!file && name !== 'getAvailableTemplates') throw new HostFactoryError('INVALID_INPUT', `Missing -f <input-file>. ${USAGE}`);
  return { command: COMMANDS[name], file: file || undefined };
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new HostFactoryError('INVALID_INPUT', `Cannot read input file '${file}' (${code})`, {
      details: { file, reason: code },
      cause: error,
    });
  }
}

function causeOf(error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return cause;
}
