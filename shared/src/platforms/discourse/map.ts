import type { z } from 'zod';
import { InvalidEvent } from '../../errors.js';
import { KEY_OF_V1, PAYLOAD_SCHEMAS_V1 } from '../../events/payloads/index.js';
import { describeZodError, parseSyncEvent, type SyncEvent } from '../../events/sync-event.js';
import { canonicalJson } from '../../signing/hash.js';
import { deterministicUuidV7 } from '../canvas/ids.js';
import {
  MAPPERS,
  type Draft,
  type DiscourseMapOptions,
  type DiscourseMapResult,
  type MappedDiscourseEvent,
} from './mappers.js';
import { discoursePayloadRoot } from './webhook.js';

export {
  DISCOURSE_MAPPED_EVENTS,
  type DiscourseMapOptions,
  type DiscourseMapResult,
} from './mappers.js';

/** What `X-Discourse-Event` holds: `post_created`, `user_badge_granted`, `ping`... */
const EVENT_NAME = /^[a-z][a-z0-9_]{0,99}$/;

/**
 * The envelope of one mapped entity. The id is a UUIDv7 whose time is the change time and whose
 * other bits hash the op, the key and the canonical payload: one version of an entity has one id
 * however it reached the relay (a redelivered webhook, or the reconciliation poller reading the
 * post back over REST before or after the webhook came), and two changes in one millisecond
 * (a post created and at once edited) differ by their payloads. `vv.discourse` is the change time in ms: a later Discourse change dominates an
 * earlier one, whether a webhook or the reconciliation poller found it.
 */
function envelope(event: string, draft: Draft): SyncEvent {
  const schema = PAYLOAD_SCHEMAS_V1[draft.entity] as unknown as z.ZodType<Record<string, unknown>>;
  const result = schema.safeParse(draft.payload);
  if (!result.success)
    throw new InvalidEvent(
      `Discourse ${event} does not fit ${draft.entity}@v1: ${describeZodError(result.error)}`,
      { cause: result.error },
    );
  const key = (KEY_OF_V1[draft.entity] as (p: Record<string, unknown>) => string)(result.data);
  return parseSyncEvent({
    id: deterministicUuidV7(draft.time, `${draft.op}\n${key}\n${canonicalJson(result.data)}`),
    source: 'discourse',
    entity: draft.entity,
    key,
    op: draft.op,
    vv: { discourse: draft.time },
    hlc: { wall: draft.time, counter: 0, node: 'discourse' },
    schema: `${draft.entity}@v1`,
    payload: result.data,
  });
}

/**
 * Maps one Discourse webhook (`X-Discourse-Event` and the JSON body) to unsigned SyncEvents, or to
 * `{skipped}` naming why there is nothing to sync. Throws InvalidEvent when the event name is not
 * one or the body of a mapped event is not its payload; lookup failures propagate.
 */
export async function mapDiscourseWebhook(
  eventName: string,
  body: unknown,
  options: DiscourseMapOptions = {},
): Promise<DiscourseMapResult> {
  if (!EVENT_NAME.test(eventName))
    throw new InvalidEvent(
      `"${eventName.slice(0, 100)}" is not a Discourse webhook event name like post_created`,
    );
  if (!Object.hasOwn(MAPPERS, eventName))
    return { skipped: `no sync entity for Discourse webhook event "${eventName}"` };
  const event = eventName as MappedDiscourseEvent;
  const drafts = await MAPPERS[event]({ event, root: discoursePayloadRoot(event)!, body, options });
  if (!Array.isArray(drafts)) return drafts;
  return { events: drafts.map((draft) => envelope(event, draft)) };
}
