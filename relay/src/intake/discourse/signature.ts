import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=` and the 64 hex digits of an HMAC-SHA256: the only form Discourse sends. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Discourse-Event-Signature` against HMAC-SHA256(secret, raw body), as Discourse makes it
 * (`"sha256=#{OpenSSL::HMAC.hexdigest("sha256", secret, body)}"`, Jobs::EmitWebHookEvent#build_webhook_headers,
 * app/jobs/regular/emit_web_hook_event.rb, github.com/discourse/discourse). Compares the 32-byte digests with
 * timingSafeEqual: a header of another form is refused before any comparison, so the comparison
 * always sees two buffers of one length and takes the same time wherever they differ.
 */
export function verifyDiscourseSignature(
  header: string,
  rawBody: Buffer,
  secret: string,
): 'ok' | 'malformed' | 'mismatch' {
  const match = SIGNATURE.exec(header.trim());
  if (!match) return 'malformed';
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
}

/** The header value Discourse would send for `body`: for tests and the simulator. */
export function discourseSignature(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
