import { CdsError, InvalidEvent } from '../errors.js';

/** The largest serialized event we accept (DESIGN.md section 2: bodies over the limit are rejected). */
export const MAX_EVENT_BYTES = 256 * 1024;

/** The deepest nesting of objects and arrays in an event; real payloads need fewer than ten. */
export const MAX_EVENT_DEPTH = 32;

export interface EventLimits {
  /** @defaultValue MAX_EVENT_BYTES */
  maxBytes?: number;
  /** @defaultValue MAX_EVENT_DEPTH */
  maxDepth?: number;
}

/**
 * Checks what every later step takes for granted of an event, before anything serializes or
 * stores it: nesting no deeper than `maxDepth` (JSON.stringify and canonicalization recurse, so a
 * deeper value overflows the stack), no NUL character (PostgreSQL text cannot hold one), and at
 * most `maxBytes` of JSON. Throws ERR_INVALID_EVENT or ERR_TOO_LARGE for this event alone.
 * Returns the event's JSON size in bytes.
 */
export function checkEventLimits(event: unknown, limits: EventLimits = {}): number {
  const maxDepth = limits.maxDepth ?? MAX_EVENT_DEPTH;
  const maxBytes = limits.maxBytes ?? MAX_EVENT_BYTES;
  // Iterative, so the check itself cannot overflow on the values it exists to refuse.
  const pending: Array<{ value: unknown; depth: number; path: string }> = [
    { value: event, depth: 0, path: '(root)' },
  ];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000'))
        throw new InvalidEvent(`${path} contains a NUL character (U+0000), which is not allowed`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth)
      throw new InvalidEvent(`event is nested deeper than ${maxDepth} levels (at ${path})`);
    for (const [name, child] of Object.entries(value)) {
      if (name.includes('\u0000'))
        throw new InvalidEvent(`a field name in ${path} contains a NUL character (U+0000)`);
      const childPath = path === '(root)' ? name : `${path}.${name}`;
      pending.push({ value: child, depth: depth + 1, path: childPath });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(event) ?? '', 'utf8');
  if (bytes > maxBytes)
    throw new CdsError(
      'ERR_TOO_LARGE',
      `event is ${bytes} bytes of JSON; the limit is ${maxBytes} (MAX_EVENT_BYTES)`,
    );
  return bytes;
}
