/**
 * The one error type of open-hostfactory. `code` is the wire code that the app prints in
 * `{"error": {"code", "message", "details"}}`; adapters map driver and SDK errors onto it and
 * keep the original as `cause`. Compare errors by `code` (see {@link isHostFactoryError}), never
 * with `instanceof` across packages.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'TEMPLATE_NOT_FOUND',
  'TEMPLATE_INVALID',
  'MAX_NUMBER_EXCEEDED',
  'REQUEST_NOT_FOUND',
  'CONFIG_INVALID',
  'PROVIDER_ERROR',
  'INSUFFICIENT_CAPACITY',
  'QUOTA_EXCEEDED',
  'THROTTLED',
  'AUTH_ERROR',
  'NOT_FOUND',
  'CONFLICT',
  'STORAGE_ERROR',
  'INTERNAL_ERROR',
] as const;

/** One of {@link ERROR_CODES}: what went wrong, as the wire error document names it. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes of failures that may pass on their own (a later call can succeed). */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['THROTTLED', 'CONFLICT']);

/** What a {@link HostFactoryError} carries besides its code and message. */
export interface HostFactoryErrorOptions {
  /** Facts for the caller and the log (`templateId`, `field`, ...): printed as the error's `details`. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The error this one stands for (an SDK or driver error), kept for the log. */
  readonly cause?: unknown;
  /** Overrides the default of the code (see {@link HostFactoryError.transient}). */
  readonly transient?: boolean;
}

/** The error every port and use case throws: a wire code, a message for people, details and the cause. */
export class HostFactoryError extends Error {
  /** Always `HostFactoryError`: how {@link isHostFactoryError} tells it apart across package copies. */
  override readonly name = 'HostFactoryError';
  /** The wire code (`TEMPLATE_INVALID`, `THROTTLED`, ...). */
  readonly code: ErrorCode;
  /** Facts for the caller and the log; `{}` when none. */
  readonly details: Readonly<Record<string, unknown>>;
  /** True when the same call may succeed later (throttling, timeouts, lost races). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options: HostFactoryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.transient = options.transient ?? TRANSIENT.has(code);
  }
}

/** True for a HostFactoryError of any copy of this package (by name and a known code, not `instanceof`). */
export function isHostFactoryError(error: unknown): error is HostFactoryError {
  if (!(error instanceof Error) || error.name !== 'HostFactoryError') return false;
  const code: unknown = (error as unknown as { code?: unknown }).code;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/** Wraps anything thrown into a HostFactoryError, keeping HostFactoryErrors as they are. */
export function toHostFactoryError(error: unknown, code: ErrorCode = 'INTERNAL_ERROR'): HostFactoryError {
  if (isHostFactoryError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HostFactoryError(code, message, { cause: error });
}
