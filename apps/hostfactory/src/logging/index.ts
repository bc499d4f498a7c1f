// Logging of the command line: JSON lines to a rotating file, never to stdout.
export { createFileLogger, describeError, nullLogger } from './file-logger';
export type { AppLogger, FileLoggerOptions, LogFields, LogLevelName } from './file-logger';
