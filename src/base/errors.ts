/**
 * Typed errors with stable string codes. Callers branch on `code`, never on `instanceof` across bundles,
 * and the CLI maps codes to documented exit codes in one place (`exitCodeFor`).
 */

export type ErrorCode =
  | 'NOT_FOUND'
  | 'AUTH_FAILED'
  | 'PERMISSION_DENIED'
  | 'NETWORK'
  | 'THROTTLED'
  | 'CONFLICT'
  | 'INVALID_FORMAT'
  | 'CONFIG'
  | 'INTERNAL'
  | 'USAGE'
  | 'IO'
  | 'TIMEOUT'
  | 'CANT_CREATE'
  | 'NOT_IMPLEMENTED'
  /** The operator asked the process to stop (SIGTERM / SIGINT) and it stopped between steps. */
  | 'INTERRUPTED';

export interface VhErrorOptions {
  /** What the operator can do next; printed after the message. */
  hint?: string;
  /** Safe, non-secret context (store alias, ref, file path). */
  details?: Record<string, string | number | boolean>;
  cause?: unknown;
}

export class VhError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, options: VhErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VhError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

export function isVhError(err: unknown): err is VhError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'VhError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

/** sysexits-style exit codes; documented in --help, the man page and README. */
export const EXIT = {
  OK: 0,
  /** health WARNING, scan findings */
  WARNING: 1,
  /** health CRITICAL, rotate-all with failures */
  CRITICAL: 2,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
  TEMPFAIL: 75,
  NOPERM: 77,
  CONFIG: 78,
  INTERRUPTED: 130,
} as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.USAGE,
  INVALID_FORMAT: EXIT.DATAERR,
  NOT_FOUND: EXIT.NOINPUT,
  NETWORK: EXIT.UNAVAILABLE,
  THROTTLED: EXIT.UNAVAILABLE,
  NOT_IMPLEMENTED: EXIT.SOFTWARE,
  INTERNAL: EXIT.SOFTWARE,
  IO: EXIT.IOERR,
  CANT_CREATE: EXIT.CANTCREAT,
  CONFLICT: EXIT.TEMPFAIL,
  TIMEOUT: EXIT.TEMPFAIL,
  AUTH_FAILED: EXIT.NOPERM,
  PERMISSION_DENIED: EXIT.NOPERM,
  CONFIG: EXIT.CONFIG,
  INTERRUPTED: EXIT.INTERRUPTED,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_BY_CODE[code];
}

/** Codes worth retrying with backoff; auth and data errors never are. */
export function isRetryable(code: ErrorCode): boolean {
  return code === 'NETWORK' || code === 'THROTTLED';
}

/** Wraps a Node system error (fs, net) into a VhError naming the path, without leaking anything else. */
export function fromSystemError(err: unknown, action: string, path: string): VhError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (errno) {
    case 'ENOENT':
      return new VhError('NOT_FOUND', `${action}: ${path} does not exist`, { details: { path }, cause: err });
    case 'EACCES':
    case 'EPERM':
      return new VhError('PERMISSION_DENIED', `${action}: permission denied on ${path}`, {
        details: { path },
        hint: 'check the owner and mode of the file (vh-secrets keeps its files at 0600)',
        cause: err,
      });
    case 'EISDIR':
      return new VhError('INVALID_FORMAT', `${action}: ${path} is a directory`, { details: { path }, cause: err });
    case 'ENOSPC':
      return new VhError('IO', `${action}: no space left on device for ${path}`, { details: { path }, cause: err });
    default:
      return new VhError('IO', `${action}: ${path}: ${errno ?? (err as Error)?.message ?? 'unknown error'}`, {
        details: { path },
        cause: err,
      });
  }
}
