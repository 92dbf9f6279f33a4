/**
 * One error type for the whole system, branched on by `code` (CONVENTIONS.md #4): a workspace can
 * load two copies of a package, so `instanceof` is not reliable across package boundaries.
 */
export const ERROR_CODES = [
  'ERR_BAD_SIGNATURE',
  'ERR_UNKNOWN_KEY',
  'ERR_EXPIRED',
  'ERR_REPLAYED',
  'ERR_FORBIDDEN',
  'ERR_INVALID_EVENT',
  'ERR_UNKNOWN_SCHEMA',
  'ERR_INVALID_CONFIG',
  'ERR_MALFORMED',
  'ERR_TOO_LARGE',
  'ERR_UNAUTHORIZED',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_TARGET',
  'ERR_UNAVAILABLE',
  'ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class CdsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The body every HTTP boundary sends: never a stack, never a secret. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The signature does not match the signed content (forged, truncated or altered). */
export class BadSignature extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BAD_SIGNATURE', message, options);
  }
}

/** The `kid` is not in the trusted key set, or the key was retired past its grace period. */
export class UnknownKey extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNKNOWN_KEY', message, options);
  }
}

/** The token's `iat` is outside the accepted window (too old, or from the future). */
export class Expired extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_EXPIRED', message, options);
  }
}

/** The token's `jti` was seen before within the replay window. */
export class Replayed extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REPLAYED', message, options);
  }
}

/** The key is genuine but may not do this: another producer's `iss`, or a source it does not speak for. */
export class Forbidden extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_FORBIDDEN', message, options);
  }
}

/** The event does not match the SyncEvent schema or its payload schema. */
export class InvalidEvent extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_EVENT', message, options);
  }
}

/** No mapping is registered for the event's `<entity>@<version>`: park it, never guess. */
export class UnknownSchema extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNKNOWN_SCHEMA', message, options);
  }
}

/** A setting or policy override is wrong; the message names it and the fix. */
export class InvalidConfig extends CdsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_CONFIG', message, options);
  }
}

export function isCdsError(value: unknown): value is CdsError {
  if (!(value instanceof Error)) return false;
  const code: unknown = (value as Error & { code?: unknown }).code;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/** Turns anything thrown into a CdsError at a boundary (CONVENTIONS.md #5), keeping the cause. */
export function toCdsError(value: unknown): CdsError {
  if (isCdsError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new CdsError('ERR_INTERNAL', message, { cause: value });
}
