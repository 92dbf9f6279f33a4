import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare a default export.
type Canonicalize = (input: unknown) => string | undefined;
const canonicalize: Canonicalize =
  (canonicalizeModule as unknown as { default?: Canonicalize }).default ??
  (canonicalizeModule as unknown as Canonicalize);

/**
 * The RFC 8785 (JSON Canonicalization Scheme) form of a value: the same bytes whatever the key
 * order or number formatting a producer used, so a hash made in Ruby matches one made here.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** base64url(SHA-256(canonical JSON)): what a batch signature lists for each event. */
export function eventHash(event: unknown): string {
  return createHash('sha256').update(canonicalJson(event)).digest('base64url');
}
