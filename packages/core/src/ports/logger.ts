import { portToken, type Token } from './token';
/** Structured logging; the app writes JSON lines to the log file, never to stdout. */
export interface Logger {
  /** Detail for troubleshooting, off by default. */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** What the plugin did (a launch, a return). */
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something wrong that the plugin works around (a retry, a skipped machine). */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A failed call or operation. */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}
/** The injection token of {@link Logger}. */
export const Logger: Token<Logger> = portToken<Logger>('Logger');

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
