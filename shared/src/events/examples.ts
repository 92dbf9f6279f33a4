import { v7 as uuidv7 } from 'uuid';
import type { EntityType, Source } from './entity.js';
import { EXAMPLE_V1, KEY_OF_V1 } from './payloads/index.js';
import type { SyncEvent } from './sync-event.js';

/** The side that usually produces changes of an entity (DESIGN.md section 3, "flows"). */
function naturalSource(entity: EntityType, payload: Record<string, unknown>): Source {
  if (entity === 'forum_post') return 'discourse';
  if (entity === 'badge' && payload.issuer === 'discourse') return 'discourse';
  if (entity === 'content_edit' && payload.origin === 'discourse') return 'discourse';
  return 'canvas';
}

export interface ExampleOptions {
  /** @defaultValue the entity's usual producer */
  source?: Source;
  /** @defaultValue `{[source]: 1}` */
  vv?: SyncEvent['vv'];
  /** Wall clock for the HLC. @defaultValue Date.now() */
  now?: number;
}

/**
 * A valid, unsigned SyncEvent of `entity`; a different `seq` gives a different key. Used by
 * `cds example`, the demo, load tests and every test that needs a realistic event.
 */
export function exampleEvent(
  entity: EntityType,
  seq: number,
  options: ExampleOptions = {},
): SyncEvent {
  const payload = EXAMPLE_V1[entity](seq) as Record<string, unknown>;
  const source = options.source ?? naturalSource(entity, payload);
  const keyOf = KEY_OF_V1[entity] as (p: Record<string, unknown>) => string;
  return {
    id: uuidv7(),
    source,
    entity,
    key: keyOf(payload),
    op: 'upsert',
    vv: options.vv ?? { [source]: 1 },
    hlc: { wall: options.now ?? Date.now(), counter: 0, node: source },
    schema: `${entity}@v1`,
    payload,
  };
}
