import { constants, generateKeyPair, privateDecrypt, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { CdsError, Expired, type UserLink } from '@cds/shared';
import { httpTargetError, unansweredTargetError } from '../connectors/connector.js';
import type { Store } from '../db/connect.js';
import { putLinkRequest, takeLinkRequestOf } from '../store/links.js';
import type { LinkService } from './service.js';

// "Link my forum account" (DESIGN.md section 3b), proven through Discourse's User API key flow as
// Discourse documents it (https://meta.discourse.org/t/user-api-keys-specification/48536): the
// student's browser goes to /user-api-key/new with a one-use RSA public key and nonce; Discourse
// redirects back with the key encrypted to it; the key says who they are in Discourse
// (/session/current.json), and is revoked at once: the link is all that is kept.

const generateRsa = promisify(generateKeyPair);

/** How long a started link may take to come back. */
export const LINK_REQUEST_MS = 10 * 60_000;
/** The one scope needed: reading who the key's user is. */
const SCOPES = 'session_info';
const CLIENT_ID = 'canvas-discourse-sync';

export interface SelfServiceOptions {
  store: Store;
  service: LinkService;
  /** The Discourse site's base URL. */
  discourseUrl: string;
  /** Shown to the student on Discourse's approval page. @defaultValue 'Canvas course sync' */
  applicationName?: string;
  timeoutMs?: number;
}

const decrypted = z.object({
  key: z.string().min(1),
  nonce: z.string().min(1),
  api: z.number().int().optional(),
});

/** Who a User API key belongs to: `GET /session/current.json` (scope session_info). */
const currentUser = z.object({
  current_user: z.object({ id: z.number().int().positive(), username: z.string().min(1) }),
});

/**
 * RSA PKCS#1 v1.5 decryption, which Discourse's `public_encrypt` uses. Node refuses PKCS#1 v1.5 in
 * privateDecrypt (CVE-2023-46809, a timing oracle): decrypt raw and strip `00 02 <pad> 00`. Each
 * request's key decrypts one payload at most (the request is taken first), so there is no oracle.
 */
function decryptPkcs1(privateKeyPem: string, data: Buffer): string | undefined {
  try {
    const block = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_NO_PADDING }, data);
    const end = block.indexOf(0, 2);
    if (block[0] !== 0 || block[1] !== 2 || end < 10) return undefined;
    return block.subarray(end + 1).toString('utf8');
  } catch {
    return undefined;
  }
}

export class SelfServiceLinks {
  private readonly base: string;

  constructor(private readonly options: SelfServiceOptions) {
    this.base = options.discourseUrl.replace(/\/+$/, '');
  }

  /**
   * Starts a link for a Canvas user: the Discourse URL to send their browser to. A new start
   * replaces the user's unfinished one. `redirect` is where Discourse sends them back (it must be
   * in Discourse's allowed_user_api_auth_redirects).
   */
  async start(who: { canvasUserId: string; courseId: string }, redirect: string): Promise<string> {
    const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const nonce = randomBytes(16).toString('hex');
    await putLinkRequest(this.options.store.db, {
      nonce,
      canvas_user_id: who.canvasUserId,
      course_id: who.courseId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      expires_at: Date.now() + LINK_REQUEST_MS,
    });
    const query = new URLSearchParams({
      application_name: this.options.applicationName ?? 'Canvas course sync',
      client_id: CLIENT_ID,
      scopes: SCOPES,
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      nonce,
      auth_redirect: redirect,
    });
    return `${this.base}/user-api-key/new?${query}`;
  }

  /**
   * Completes the link from the `payload` Discourse redirected back with, for the Canvas user who
   * started it (and only them: the payload is encrypted to their request's key).
   */
  async complete(
    who: { canvasUserId: string; courseId: string },
    payload: string,
  ): Promise<UserLink> {
    const request = await takeLinkRequestOf(this.options.store.db, who.canvasUserId, who.courseId);
    if (!request)
      throw new CdsError(
        'ERR_NOT_FOUND',
        'there is no forum link in progress for you in this course: press "Link my forum account" again',
      );
    if (request.expires_at < Date.now())
      throw new Expired(
        'the forum link request expired (10 minutes): press "Link my forum account" again',
      );
    const text = decryptPkcs1(
      request.private_key,
      // Ruby's Base64.encode64 breaks lines; a '+' read as a space by a form decoder is put back.
      Buffer.from(payload.replace(/ /g, '+').replace(/\s+/g, ''), 'base64'),
    );
    let parsed: z.infer<typeof decrypted> | undefined;
    try {
      parsed = text === undefined ? undefined : decrypted.parse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.nonce !== request.nonce)
      throw new CdsError(
        'ERR_BAD_SIGNATURE',
        'Discourse\'s answer was not made for your link request (forged, altered, or another person\'s): press "Link my forum account" again',
      );
    const me = await this.whoIs(parsed.key);
    await this.revoke(parsed.key);
    return this.options.service.linkUser(
      {
        canvasUserId: who.canvasUserId,
        discourseUserId: me.id,
        discourseUsername: me.username,
        method: 'self_service',
      },
      `lti:${who.canvasUserId}@course:${who.courseId}`,
    );
  }

  private async call(path: string, key: string, method: 'GET' | 'POST'): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        headers: {
          'user-api-key': key,
          'user-api-client-id': CLIENT_ID,
          accept: 'application/json',
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unansweredTargetError('discourse', error, timeoutMs);
    }
  }

  private async whoIs(key: string): Promise<{ id: number; username: string }> {
    const response = await this.call('/session/current.json', key, 'GET');
    const text = await response.text();
    // Discourse refuses a key it never issued (or revoked): the payload was made up.
    if (response.status === 401 || response.status === 403)
      throw new CdsError(
        'ERR_BAD_SIGNATURE',
        'Discourse did not accept the key in its answer (forged, or already revoked): press "Link my forum account" again',
      );
    if (!response.ok)
      throw httpTargetError('discourse', response.status, response.headers.get('retry-after'));
    const body = currentUser.safeParse(JSON.parse(text || '{}'));
    if (!body.success)
      throw new CdsError(
        'ERR_TARGET',
        'Discourse did not say whose the key is (/session/current.json)',
      );
    return body.data.current_user;
  }

  /** The key was only proof: revoke it (POST /user-api-key/revoke). A failure is not the student's. */
  private async revoke(key: string): Promise<void> {
    await this.call('/user-api-key/revoke', key, 'POST').catch(() => undefined);
  }
}
