import type { z } from 'zod';
import { InvalidEvent } from '../../errors.js';
import { KEY_OF_V1, PAYLOAD_SCHEMAS_V1 } from '../../events/payloads/index.js';
import { describeZodError, parseSyncEvent, type SyncEvent } from '../../events/sync-event.js';
import { canonicalJson } from '../../signing/hash.js';
import { deterministicUuidV7 } from './ids.js';
import { parseLiveEvent, type LiveEvent } from './live-event.js';
import {
  MAPPERS,
  type CanvasMapOptions,
  type CanvasMapResult,
  type Draft,
  type MappedEvent,
} from './mappers.js';

export { CANVAS_MAPPED_EVENTS, type CanvasMapOptions, type CanvasMapResult } from './mappers.js';

/**
 * The envelope of one mapped entity. The id is a UUIDv7 whose time is the change time and whose
 * other bits hash the event name, the key and the canonical body, so a redelivered Live Event
 * gives the same ids. `vv.canvas` is the change time in ms: a later Canvas change dominates an
 * earlier one, whether the Live Event or the REST poller found it.
 */
function envelope(event: LiveEvent, time: number, draft: Draft): SyncEvent {
  const name = event.metadata.event_name;
  const schema = PAYLOAD_SCHEMAS_V1[draft.entity] as unknown as z.ZodType<Record<string, unknown>>;
  const result = schema.safeParse(draft.payload);
  if (!result.success)
    throw new InvalidEvent(
      `Live Event "${name}" does not fit ${draft.entity}@v1: ${describeZodError(result.error)}`,
      { cause: result.error },
    );
  const key = (KEY_OF_V1[draft.entity] as (p: Record<string, unknown>) => string)(result.data);
  return parseSyncEvent({
    id: deterministicUuidV7(time, `${name}\n${key}\n${canonicalJson(event.body)}`),
    source: 'canvas',
    entity: draft.entity,
    key,
    op: 'upsert',
    vv: { canvas: time },
    hlc: { wall: time, counter: 0, node: 'canvas' },
    schema: `${draft.entity}@v1`,
    payload: result.data,
  });
}

/**
 * Maps one Canvas Live Event (`{metadata, body}`, Canvas format) to unsigned SyncEvents, or to
 * `{skipped}` naming why there is nothing to sync. Throws InvalidEvent when the input is not a
 * Live Event or a mapped event's body has fields of the wrong type; lookup failures propagate.
 */
export async function mapCanvasLiveEvent(
  input: unknown,
  options: CanvasMapOptions = {},
): Promise<CanvasMapResult> {
  const event = parseLiveEvent(input);
  const name = event.metadata.event_name;
  if (!Object.hasOwn(MAPPERS, name)) return { skipped: `no sync entity for Live Event "${name}"` };
  const { context_type: contextType, context_id: contextId } = event.metadata;
  const course = (contextType === 'Course' && contextId) || options.defaultCourseId || undefined;
  const drafts = await MAPPERS[name as MappedEvent]({ event, options, course });
  if (!Array.isArray(drafts)) return drafts;
  const time = Date.parse(event.metadata.event_time);
  return { events: drafts.map((draft) => envelope(event, time, draft)) };
}
