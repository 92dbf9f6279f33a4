import assert from 'node:assert/strict';
import {
  compareHlc,
  ENTITY_TYPES,
  DEFAULT_POLICIES,
  exampleEvent,
  type EntityType,
  type SyncEvent,
} from '@cds/shared';
import { isUnfinished } from '@cds/relay';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

type Payload = Record<string, unknown>;

/** One edit of the same instance from each side, neither having seen the other (concurrent). */
function concurrentEdits(
  entity: EntityType,
  seq: number,
): { canvas: SyncEvent; discourse: SyncEvent } {
  const canvas = exampleEvent(entity, seq, { source: 'canvas', vv: { canvas: 1 } });
  const discourse = exampleEvent(entity, seq, { source: 'discourse', vv: { discourse: 1 } });
  discourse.payload = editedBy('discourse', entity, canvas.payload);
  canvas.payload = editedBy('canvas', entity, canvas.payload);
  return { canvas, discourse };
}

/** A change of the example payload that marks which side made it, valid for the entity's schema. */
function editedBy(side: 'canvas' | 'discourse', entity: EntityType, payload: Payload): Payload {
  switch (entity) {
    case 'grade':
      return { ...payload, score: side === 'canvas' ? 9 : 3, grade: side === 'canvas' ? '9' : '3' };
    case 'exam_result':
    case 'assignment_submission':
    case 'enrollment':
    case 'certificate':
    case 'course_completion':
    case 'forum_post':
    case 'badge':
      return { ...payload, ...markFor(entity, side, payload) };
    case 'profile':
      return {
        canvas_user_id: payload.canvas_user_id,
        name: `${side} name`,
        bio_raw: `${side} bio`,
      };
    case 'content_edit':
      return { ...payload, body_html: `<p>${side} text</p>` };
    case 'sync_request':
      return { ...payload, reason: `${side} asked` };
  }
}

function markFor(entity: EntityType, side: string, payload: Payload): Payload {
  const marks: Partial<Record<EntityType, Payload>> = {
    exam_result: { kept_score: side === 'canvas' ? 91 : 13 },
    assignment_submission: { body: `${side} body` },
    enrollment: { user_name: `${side} name` },
    certificate: { title: `${side} title` },
    course_completion: { user: { ...(payload.user as Payload), name: `${side} student` } },
    forum_post: { raw: `${side} raw` },
    badge: { name: `${side} badge` },
  };
  return marks[entity]!;
}

/** What the policy table says the target must end with (DESIGN.md section 3). */
function expectedFinal(
  entity: EntityType,
  edits: { canvas: SyncEvent; discourse: SyncEvent },
): Payload | 'conflict' {
  const resolution = DEFAULT_POLICIES[entity].resolution;
  switch (resolution.kind) {
    case 'source':
      return edits[resolution.source as 'canvas' | 'discourse'].payload;
    case 'payload_field': {
      const issuer = edits.canvas.payload[resolution.field] as 'canvas' | 'discourse';
      return edits[issuer].payload;
    }
    case 'per_field':
      return {
        canvas_user_id: edits.canvas.payload.canvas_user_id,
        name: 'canvas name',
        bio_raw: 'discourse bio',
      };
    case 'lww':
      // The newest hybrid logical clock wins, whoever decided first.
      return compareHlc(edits.canvas.hlc, edits.discourse.hlc) > 0
        ? edits.canvas.payload
        : edits.discourse.payload;
    default:
      return 'conflict';
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`concurrent edits from both sides resolve as the policy table says (${dialect})`, function () {
    this.timeout(120_000);
    let h: RelayHarness;
    before(async () => {
      h = await new RelayHarness({ dialect }).start();
    });
    after(async () => {
      await h?.stop();
    });

    let seq = 100;
    for (const entity of ENTITY_TYPES) {
      for (const first of ['canvas', 'discourse'] as const) {
        it(`${entity}, ${first} decided first`, async () => {
          seq += 1;
          // Badge example: odd seq is issued by Canvas, even by Discourse; both issuers get tested.
          const edits = concurrentEdits(entity, seq);
          const second: 'canvas' | 'discourse' = first === 'canvas' ? 'discourse' : 'canvas';
          const background = DEFAULT_POLICIES[entity].tier === 'background';
          for (const side of [first, second]) {
            await h.send([edits[side]]);
            if (background) await h.relay.workers!.runBackgroundBatch();
            await waitFor(`${side} decided`, async () => {
              const row = await h.relay.store.db
                .selectFrom('events')
                .select('state')
                .where('id', '=', edits[side].id)
                .executeTakeFirst();
              return row && !isUnfinished(row.state);
            });
          }
          const expected = expectedFinal(entity, edits);
          const key = edits.canvas.key;
          if (expected === 'conflict') {
            const conflicts = await h.relay.store.db
              .selectFrom('conflicts')
              .selectAll()
              .where('key', '=', key)
              .execute();
            assert.equal(conflicts.length, 1, 'one open conflict for a person to settle');
            assert.deepEqual(
              new Set(JSON.parse(conflicts[0]!.event_ids)),
              new Set([edits.canvas.id, edits.discourse.id]),
            );
            const delivered = [...h.target.applied.values()]
              .flatMap((d) => d.items)
              .filter((i) => i.key === key);
            assert.ok(
              delivered.every((item) => item.value === null || item.eventId === edits[first].id),
              'the second edit never silently overwrote the first',
            );
            return;
          }
          const final = await waitFor('the final value delivered', () => {
            const items = [...h.target.applied.values()]
              .flatMap((d) => d.items)
              .filter((i) => i.key === key && i.eventId === edits[second].id);
            return items.at(-1) ?? (h.target.applied.size > 0 && lastValueFor(h, key));
          });
          const value = 'value' in (final as object) ? (final as { value: unknown }).value : final;
          assert.deepEqual(value, expected);
        });
      }
    }
  });
}

function lastValueFor(h: RelayHarness, key: string): { value: unknown } | undefined {
  const items = [...h.target.applied.values()].flatMap((d) => d.items).filter((i) => i.key === key);
  return items.length >= 1 ? items.at(-1) : undefined;
}
