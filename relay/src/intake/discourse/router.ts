import express, { type Router } from 'express';
import { CdsError, mapDiscourseWebhook, type DiscourseLookup, type KeyGrant } from '@cds/shared';
import { ingestAuthentic, type IngestCore } from '../../ingest/accept.js';
import { recordToken } from '../../store/seen-tokens.js';
import { verifyDiscourseSignature } from './signature.js';

/**
 * The intake's own grant: it is not a key in TRUSTED_JWKS (no JWS can claim it), and it may speak
 * for `discourse` only, checked per event exactly as a key's sources are.
 */
export const DISCOURSE_WEBHOOK_GRANT: KeyGrant = {
  kid: 'discourse-webhook-hmac',
  producer: 'discourse-webhook',
  sources: ['discourse'],
};

/**
 * How long a webhook's id is remembered. Discourse retries a failed delivery for about 2.5 hours
 * (retry_web_hook_events: 4 retries, 5^n minutes apart) and an admin may redeliver an event from
 * its web hook page later; past this window a redelivery still maps to the same SyncEvent ids,
 * which the log stores once.
 */
export const DISCOURSE_EVENT_ID_MEMORY_MS = 30 * 24 * 3_600_000;

export interface DiscourseIntakeDeps {
  /** DISCOURSE_WEBHOOK_SECRET; without it the route answers 503. */
  secret: string | undefined;
  ingest: () => IngestCore;
  maxBodyBytes: number;
  /** Links and Discourse REST (DESIGN.md section 3b); without them most events are skipped. */
  lookup?: DiscourseLookup;
  /** DISCOURSE_URL: makes relative avatar URLs absolute. */
  discourseUrl?: string;
}

const unauthorized = (message: string) => new CdsError('ERR_UNAUTHORIZED', message);
const malformed = (message: string) => new CdsError('ERR_MALFORMED', message);

/** The headers Discourse sends with every event (Jobs::EmitWebHookEvent#build_webhook_headers). */
const REQUIRED_HEADERS = [
  'X-Discourse-Instance',
  'X-Discourse-Event-Id',
  'X-Discourse-Event-Type',
  'X-Discourse-Event',
] as const;

/**
 * `POST /v1/intake/discourse` (DESIGN.md section 8): a Discourse webhook (Admin > API > Webhooks,
 * content type application/json, https://meta.discourse.org/t/configure-webhooks-that-trigger-on-discourse-events/49045).
 * The signature is checked over the raw bytes before anything is parsed; the event is mapped to
 * SyncEvents and logged through the same ingest path as signed events, under a producer that may
 * speak only for `discourse`. Answers: 202 with per-event results; 200 `{skipped}` when there is
 * nothing to sync; 200 `{duplicate: true}` for an event id already taken; 4xx naming what is wrong.
 */
export function discourseIntakeRouter(deps: DiscourseIntakeDeps): Router {
  const router = express.Router();
  router.post(
    '/v1/intake/discourse',
    express.raw({ type: () => true, limit: deps.maxBodyBytes }),
    async (req, res) => {
      if (!deps.secret)
        throw new CdsError(
          'ERR_UNAVAILABLE',
          'Discourse webhooks are not accepted: DISCOURSE_WEBHOOK_SECRET is not set (use the secret of the Discourse webhook)',
        );
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.get('X-Discourse-Event-Signature');
      if (!signature)
        throw unauthorized(
          'X-Discourse-Event-Signature is missing: give the Discourse webhook a secret',
        );
      const verdict = verifyDiscourseSignature(signature, raw, deps.secret);
      if (verdict === 'malformed')
        throw unauthorized('X-Discourse-Event-Signature must be sha256=<64 hex digits>');
      if (verdict === 'mismatch')
        throw new CdsError(
          'ERR_BAD_SIGNATURE',
          'X-Discourse-Event-Signature does not match the body: check DISCOURSE_WEBHOOK_SECRET',
        );

      const headers: Partial<Record<(typeof REQUIRED_HEADERS)[number], string>> = {};
      const type = req.get('X-Discourse-Event-Type');
      for (const name of REQUIRED_HEADERS) {
        const value = req.get(name)?.trim();
        // Discourse's ping (the webhook page's "Ping" button) may come without an event name.
        if (!value && !(name === 'X-Discourse-Event' && type === 'ping'))
          throw malformed(`${name} header is missing: is this a Discourse webhook?`);
        headers[name] = value;
      }
      const eventId = headers['X-Discourse-Event-Id']!;
      if (!/^\d{1,20}$/.test(eventId))
        throw malformed(`X-Discourse-Event-Id must be a number, not "${eventId.slice(0, 40)}"`);
      const event = headers['X-Discourse-Event'] ?? 'ping';
      if (event !== type && !event.startsWith(`${type}_`))
        throw malformed(
          `X-Discourse-Event "${event.slice(0, 60)}" is not an event of X-Discourse-Event-Type "${String(type).slice(0, 60)}"`,
        );

      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch (error) {
        throw malformed(`request body is not valid JSON: ${(error as Error).message}`);
      }

      const mapped = await mapDiscourseWebhook(event, body, {
        lookup: deps.lookup,
        receivedAt: Date.now(),
        discourseUrl: deps.discourseUrl,
      });
      if ('skipped' in mapped) {
        res.status(200).json({ skipped: mapped.skipped });
        return;
      }
      const instance = headers['X-Discourse-Instance']!;
      const ingestDeps = deps.ingest();
      try {
        const outcome = await ingestAuthentic(
          {
            grant: DISCOURSE_WEBHOOK_GRANT,
            producer: DISCOURSE_WEBHOOK_GRANT.producer,
            events: mapped.events,
            // The (instance, event id) pair, in the same transaction as the events it brought.
            claim: async (trx, now) => {
              const id = `discourse-webhook:${instance}#${eventId}`;
              if (!(await recordToken(trx, id, now + DISCOURSE_EVENT_ID_MEMORY_MS, now)))
                throw new Duplicate();
            },
          },
          ingestDeps,
        );
        res.status(outcome.results.some((r) => r.status !== 'rejected') ? 202 : 422).json(outcome);
      } catch (error) {
        if (error instanceof Duplicate) {
          res.status(200).json({ duplicate: true });
          return;
        }
        throw error;
      }
    },
  );
  return router;
}

/** The event id was taken before: nothing of this request is written. */
class Duplicate extends CdsError {
  constructor() {
    super('ERR_REPLAYED', 'this Discourse event id was already received');
  }
}
