/** Structured logging; the app writes JSON lines to the log file, never to stdout. */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}
export const Logger = Symbol.for('open-hostfactory.Logger');

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
