// Logging of the command line: JSON lines to a rotating file, never to stdout.
export { createFileLogger, describeError } from './file-logger';
export type { FileLoggerOptions, LogFields, LogLevelName } from './file-logger';
