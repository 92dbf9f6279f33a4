import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { VersionVector } from '../clock/version-vector.js';
import { ENTITY_TYPES, type EntityType, type Source } from '../events/entity.js';
import { decide, resolveState, type DecisionInput } from './decide.js';
import type { EntityState } from './register.js';
import { DEFAULT_POLICIES, resolvePolicies } from './table.js';

let nextId = 0;
function change(
  entity: EntityType,
  source: Source,
  vv: VersionVector,
  payload: Record<string, unknown>,
  op: 'upsert' | 'delete' = 'upsert',
): DecisionInput {
  nextId += 1;
  return {
    id: `e${String(nextId).padStart(4, '0')}`,
    source,
    entity,
    op,
    vv,
    hlc: { wall: nextId, counter: 0, node: source },
    payload,
  };
}

function run(entity: EntityType, changes: DecisionInput[], policies = DEFAULT_POLICIES) {
  let state: EntityState | undefined;
  const actions = changes.map((c) => {
    const decision = decide(policies[entity], state, c);
    state = decision.next;
    return decision;
  });
  return { actions, state: state!, resolved: resolveState(policies[entity], state!) };
}

const CANVAS_WINS: EntityType[] = [
  'grade',
  'exam_result',
  'certificate',
  'course_completion',
  'assignment_submission',
  'enrollment',
];

describe('decide: the source-of-truth policy table', () => {
  it('applies the first version and then any version that has seen it', () => {
    const first = change('grade', 'canvas', { canvas: 1 }, { score: 1 });
    const second = change('grade', 'discourse', { canvas: 1, discourse: 1 }, { score: 2 });
    const { actions, resolved } = run('grade', [first, second]);
    assert.deepEqual(
      actions.map((a) => a.action),
      ['apply', 'apply'],
    );
    assert.equal(actions[0]!.reason, 'first version');
    assert.deepEqual(resolved.value, { score: 2 });
  });

  it('acknowledges a superseded version as stale, naming the newer event', () => {
    const old = change('grade', 'canvas', { canvas: 1 }, { score: 1 });
    const newer = change('grade', 'canvas', { canvas: 2 }, { score: 2 });
    const { actions, resolved } = run('grade', [newer, old]);
    assert.equal(actions[1]!.action, 'stale');
    assert.equal(actions[1]!.reason, `superseded by newer event ${newer.id} from canvas`);
    assert.deepEqual(resolved.value, { score: 2 });
  });

  it('acknowledges a duplicate delivery as stale', () => {
    const once = change('grade', 'canvas', { canvas: 1 }, { score: 1 });
    const { actions } = run('grade', [once, once]);
    assert.deepEqual(
      [actions[1]!.action, actions[1]!.reason],
      ['stale', 'already applied (duplicate delivery)'],
    );
  });

  for (const entity of CANVAS_WINS) {
    describe(`when ${entity} is edited concurrently on both sides`, () => {
      it('lets Canvas win and marks the Discourse edit overridden, in either order', () => {
        const canvas = change(entity, 'canvas', { canvas: 1 }, { v: 'canvas' });
        const discourse = change(entity, 'discourse', { discourse: 1 }, { v: 'discourse' });
        const a = run(entity, [canvas, discourse]);
        const b = run(entity, [discourse, canvas]);
        assert.equal(a.actions[1]!.action, 'override');
        assert.match(
          a.actions[1]!.reason,
          /overridden by concurrent canvas event .*: canvas is the source of truth/,
        );
        assert.equal(b.actions[1]!.action, 'apply');
        assert.match(b.actions[1]!.reason, /wins over concurrent discourse event/);
        assert.deepEqual(a.resolved.value, { v: 'canvas' });
        assert.deepEqual(b.resolved.value, { v: 'canvas' });
      });
    });
  }

  describe('when forum_post is edited concurrently on both sides', () => {
    it('lets Discourse win', () => {
      const canvas = change('forum_post', 'canvas', { canvas: 1 }, { v: 'canvas' });
      const discourse = change('forum_post', 'discourse', { discourse: 1 }, { v: 'discourse' });
      const { actions, resolved } = run('forum_post', [discourse, canvas]);
      assert.equal(actions[1]!.action, 'override');
      assert.deepEqual(resolved.value, { v: 'discourse' });
    });
  });

  describe('when a badge is edited concurrently on both sides', () => {
    it('lets the issuing side win, whichever it is', () => {
      for (const issuer of ['canvas', 'discourse'] as const) {
        const other = issuer === 'canvas' ? 'discourse' : 'canvas';
        const byIssuer = change('badge', issuer, { [issuer]: 1 }, { issuer, revoked: true });
        const byOther = change('badge', other, { [other]: 1 }, { issuer, revoked: false });
        const { actions, resolved } = run('badge', [byIssuer, byOther]);
        assert.equal(actions[1]!.action, 'override');
        assert.match(actions[1]!.reason, new RegExp(`the issuer \\(${issuer}\\) wins`));
        assert.deepEqual(resolved.value, { issuer, revoked: true });
      }
    });
  });

  describe('when a profile is edited concurrently on both sides', () => {
    it('merges field by field, each owner winning its fields, and records the true conflict', () => {
      const canvas = change(
        'profile',
        'canvas',
        { canvas: 1 },
        { canvas_user_id: '7', name: 'Ada Lovelace' },
      );
      const discourse = change(
        'profile',
        'discourse',
        { discourse: 1 },
        { name: 'ada', bio_raw: 'Counts things.' },
      );
      const { actions, resolved } = run('profile', [canvas, discourse]);
      assert.equal(actions[1]!.action, 'apply');
      assert.deepEqual(actions[1]!.conflictingFields, ['name']);
      assert.match(
        actions[1]!.reason,
        /name: override \(overridden by concurrent canvas event .*: canvas owns field name\)/,
      );
      // The identity travels with the value (targets need it) but is never merged as a field.
      assert.deepEqual(resolved.value, {
        canvas_user_id: '7',
        name: 'Ada Lovelace',
        bio_raw: 'Counts things.',
      });
    });
  });

  describe('when content is edited concurrently on both sides', () => {
    it('opens a conflict and overwrites nothing until a person resolves it', () => {
      const canvas = change('content_edit', 'canvas', { canvas: 1 }, { title: 'A' });
      const discourse = change('content_edit', 'discourse', { discourse: 1 }, { title: 'B' });
      const first = run('content_edit', [canvas, discourse]);
      assert.equal(first.actions[1]!.action, 'conflict');
      assert.match(first.actions[1]!.reason, /never overwritten silently, a person must choose/);
      assert.equal(first.resolved.status, 'conflict');

      const resolution = change(
        'content_edit',
        'manual',
        { canvas: 1, discourse: 1, manual: 1 },
        { title: 'B' },
      );
      const after = run('content_edit', [canvas, discourse, resolution]);
      assert.equal(after.actions[2]!.action, 'apply');
      assert.equal(after.resolved.status, 'resolved');
      assert.deepEqual(after.resolved.value, { title: 'B' });
    });
  });

  it('resolves a delete that has seen the last version to no value', () => {
    const created = change('enrollment', 'canvas', { canvas: 1 }, { state: 'active' });
    const deleted = change('enrollment', 'canvas', { canvas: 2 }, { state: 'deleted' }, 'delete');
    assert.equal(run('enrollment', [created, deleted]).resolved.value, null);
  });

  describe('institution overrides', () => {
    it('replace one entity policy and keep the rest', () => {
      const table = resolvePolicies({
        content_edit: { resolution: { kind: 'source', source: 'canvas' } },
        grade: { tier: 'high' },
      });
      assert.deepEqual(table.content_edit.resolution, { kind: 'source', source: 'canvas' });
      assert.equal(table.content_edit.tier, 'background');
      assert.equal(table.grade.tier, 'high');
      assert.deepEqual(table.forum_post, DEFAULT_POLICIES.forum_post);
    });

    it('are refused with ERR_INVALID_CONFIG naming the wrong entry', () => {
      assert.throws(
        () => resolvePolicies({ grade: { tier: 'urgent' } }),
        (error: Error & { code?: string }) =>
          error.code === 'ERR_INVALID_CONFIG' && /grade\.tier/.test(error.message),
      );
      assert.throws(
        () => resolvePolicies({ homework: { tier: 'high' } }),
        (error: Error & { code?: string }) =>
          error.code === 'ERR_INVALID_CONFIG' && /homework/.test(error.message),
      );
    });
  });
});

// ---- Convergence: every delivery order, with duplicates, ends in the same state. ----

const PROFILE_FIELDS = ['name', 'email', 'bio_raw', 'avatar_url', 'website'] as const;

function payloadArb(entity: EntityType): fc.Arbitrary<Record<string, unknown>> {
  if (entity === 'profile') {
    return fc
      .subarray([...PROFILE_FIELDS], { minLength: 1 })
      .chain((fields) =>
        fc
          .tuple(...fields.map((f) => fc.constantFrom(`${f}-a`, `${f}-b`)))
          .map((values) => Object.fromEntries(fields.map((f, i) => [f, values[i]]))),
      );
  }
  if (entity === 'badge')
    return fc.record({ issuer: fc.constantFrom('canvas', 'discourse'), revoked: fc.boolean() });
  return fc.record({ value: fc.nat({ max: 3 }) });
}

function eventsArb(entity: EntityType): fc.Arbitrary<DecisionInput[]> {
  const one = fc.record({
    source: fc.constantFrom<Source>('canvas', 'discourse', 'manual'),
    vv: fc.record({
      canvas: fc.nat({ max: 3 }),
      discourse: fc.nat({ max: 3 }),
      manual: fc.nat({ max: 1 }),
    }),
    wall: fc.nat({ max: 5 }),
    op: fc.constantFrom<'upsert' | 'delete'>('upsert', 'upsert', 'delete'),
    payload: payloadArb(entity),
  });
  return fc.array(one, { minLength: 1, maxLength: 7 }).map((items) =>
    items.map((item, index) => ({
      id: `ev-${index}`,
      entity,
      source: item.source,
      op: item.op,
      vv: item.vv,
      hlc: { wall: item.wall, counter: 0, node: item.source },
      payload: item.payload,
    })),
  );
}

/** A delivery: every event at least once, some twice, in any order. */
function deliveryArb(events: DecisionInput[]): fc.Arbitrary<DecisionInput[]> {
  return fc.tuple(fc.subarray(events), fc.context()).chain(([duplicates]) =>
    fc.shuffledSubarray([...events, ...duplicates], {
      minLength: events.length + duplicates.length,
    }),
  );
}

function normalized(state: EntityState): EntityState {
  const registers: EntityState['registers'] = {};
  for (const [name, heads] of Object.entries(state.registers)) {
    registers[name] = [...heads].sort((a, b) => a.eventId.localeCompare(b.eventId));
  }
  return { registers };
}

describe('decide: convergence', () => {
  for (const entity of ENTITY_TYPES) {
    it(`gives the same final ${entity} state for every delivery order, with duplicates`, () => {
      fc.assert(
        fc.property(
          eventsArb(entity).chain((events) => fc.tuple(deliveryArb(events), deliveryArb(events))),
          ([first, second]) => {
            const a = run(entity, first);
            const b = run(entity, second);
            assert.deepEqual(normalized(a.state), normalized(b.state));
            assert.deepEqual(a.resolved, b.resolved);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
