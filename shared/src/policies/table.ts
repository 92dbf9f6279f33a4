import { z } from 'zod';
import { InvalidConfig } from '../errors.js';
import { ENTITY_TYPES, SOURCES, type EntityType, type Source } from '../events/entity.js';

/** How fast a change must reach the other side (DESIGN.md section 3). */
export const TIERS = ['critical', 'high', 'background'] as const;
export type Tier = (typeof TIERS)[number];

const sourceSchema = z.enum(SOURCES);

/** The two systems deliveries go to (DESIGN.md section 5b); `manual` is a person, not a side. */
export const SIDES = ['canvas', 'discourse'] as const;
export type Side = (typeof SIDES)[number];

/** Who wins when two edits are concurrent (neither version vector dominates). */
export const resolutionSchema = z.discriminatedUnion('kind', [
  /** The named side is the source of truth; among edits of the other side, the newest HLC. */
  z.object({ kind: z.literal('source'), source: sourceSchema }),
  /** The side named in a payload field wins (a badge's `issuer`). */
  z.object({ kind: z.literal('payload_field'), field: z.string().min(1) }),
  /** Field by field: each field's owner wins; fields without an owner: newest HLC. */
  z.object({
    kind: z.literal('per_field'),
    owners: z.record(z.string(), sourceSchema),
    /** Fields that identify the entity rather than describe it: not merged. */
    identity: z.array(z.string()).optional(),
  }),
  /** Nobody wins automatically: the edits go to the conflict queue for a person. */
  z.object({ kind: z.literal('conflict') }),
  /** The newest hybrid-logical-clock timestamp wins. */
  z.object({ kind: z.literal('lww') }),
]);
export type Resolution = z.infer<typeof resolutionSchema>;

export const entityPolicySchema = z.object({
  tier: z.enum(TIERS),
  resolution: resolutionSchema,
  /** The sides an applied change of this entity is delivered to (never back to its own source). */
  flows: z.array(z.enum(SIDES)),
});
export type EntityPolicy = z.infer<typeof entityPolicySchema>;
export type PolicyTable = Record<EntityType, EntityPolicy>;

/** Profile fields and who owns each: the name comes from Canvas, the rest of the profile from Discourse. */
export const PROFILE_FIELD_OWNERS = {
  name: 'canvas',
  sortable_name: 'canvas',
  short_name: 'canvas',
  email: 'canvas',
  time_zone: 'canvas',
  locale: 'canvas',
  bio_raw: 'discourse',
  avatar_url: 'discourse',
  website: 'discourse',
  location: 'discourse',
  title: 'discourse',
} as const satisfies Record<string, 'canvas' | 'discourse'>;

/** The table of DESIGN.md section 3, as data. */
export const DEFAULT_POLICIES: PolicyTable = {
  grade: {
    tier: 'critical',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['canvas', 'discourse'],
  },
  exam_result: {
    tier: 'critical',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['discourse'],
  },
  certificate: {
    tier: 'critical',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['discourse'],
  },
  course_completion: {
    tier: 'high',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['discourse'],
  },
  // The issuing side is the badge's source, so it flows to the other side only.
  badge: {
    tier: 'high',
    resolution: { kind: 'payload_field', field: 'issuer' },
    flows: ['canvas', 'discourse'],
  },
  assignment_submission: {
    tier: 'high',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['discourse'],
  },
  enrollment: {
    tier: 'high',
    resolution: { kind: 'source', source: 'canvas' },
    flows: ['discourse'],
  },
  forum_post: {
    tier: 'background',
    resolution: { kind: 'source', source: 'discourse' },
    flows: ['canvas'],
  },
  profile: {
    tier: 'background',
    resolution: {
      kind: 'per_field',
      owners: PROFILE_FIELD_OWNERS,
      identity: ['canvas_user_id', 'discourse_user_id'],
    },
    flows: ['canvas', 'discourse'],
  },
  content_edit: {
    tier: 'background',
    resolution: { kind: 'conflict' },
    flows: ['canvas', 'discourse'],
  },
  // "Sync now": a trigger for both sides; the newest request is the one that counts.
  sync_request: {
    tier: 'high',
    resolution: { kind: 'lww' },
    flows: ['canvas', 'discourse'],
  },
};

/** The sides an applied event goes to: its entity's flows, never back to the side it came from. */
export function flowsFor(policy: Pick<EntityPolicy, 'flows'>, source: Source): Side[] {
  return policy.flows.filter((side) => side !== source);
}

const overridesSchema = z
  .partialRecord(z.enum(ENTITY_TYPES), entityPolicySchema.partial())
  .optional();

/**
 * The policy table with an institution's overrides applied, e.g. `{"grade": {"tier": "high"}}`,
 * `{"content_edit": {"resolution": {"kind": "source", "source": "canvas"}}}` or
 * `{"exam_result": {"flows": ["canvas", "discourse"]}}`. Throws InvalidConfig
 * naming the wrong entry.
 */
export function resolvePolicies(overrides: unknown): PolicyTable {
  const parsed = overridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidConfig(
      `policy override ${issue?.path.join('.') || '(root)'} is invalid: ${issue?.message ?? 'unknown'} (entities: ${ENTITY_TYPES.join(', ')}; tiers: ${TIERS.join(', ')}; flows: ${SIDES.join(', ')})`,
    );
  }
  const table = { ...DEFAULT_POLICIES };
  for (const entity of ENTITY_TYPES) {
    const override = parsed.data?.[entity];
    if (override) table[entity] = { ...table[entity], ...override };
  }
  return table;
}
