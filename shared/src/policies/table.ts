import { z } from 'zod';
import { InvalidConfig } from '../errors.js';
import { ENTITY_TYPES, SOURCES, type EntityType } from '../events/entity.js';

/** How fast a change must reach the other side (DESIGN.md section 3). */
export const TIERS = ['critical', 'high', 'background'] as const;
export type Tier = (typeof TIERS)[number];

const sourceSchema = z.enum(SOURCES);

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

export const entityPolicySchema = z.object({ tier: z.enum(TIERS), resolution: resolutionSchema });
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
  grade: { tier: 'critical', resolution: { kind: 'source', source: 'canvas' } },
  exam_result: { tier: 'critical', resolution: { kind: 'source', source: 'canvas' } },
  certificate: { tier: 'critical', resolution: { kind: 'source', source: 'canvas' } },
  course_completion: { tier: 'high', resolution: { kind: 'source', source: 'canvas' } },
  badge: { tier: 'high', resolution: { kind: 'payload_field', field: 'issuer' } },
  assignment_submission: { tier: 'high', resolution: { kind: 'source', source: 'canvas' } },
  enrollment: { tier: 'high', resolution: { kind: 'source', source: 'canvas' } },
  forum_post: { tier: 'background', resolution: { kind: 'source', source: 'discourse' } },
  profile: {
    tier: 'background',
    resolution: {
      kind: 'per_field',
      owners: PROFILE_FIELD_OWNERS,
      identity: ['canvas_user_id', 'discourse_user_id'],
    },
  },
  content_edit: { tier: 'background', resolution: { kind: 'conflict' } },
};

const overridesSchema = z
  .partialRecord(z.enum(ENTITY_TYPES), entityPolicySchema.partial())
  .optional();

/**
 * The policy table with an institution's overrides applied, e.g. `{"grade": {"tier": "high"}}` or
 * `{"content_edit": {"resolution": {"kind": "source", "source": "canvas"}}}`. Throws InvalidConfig
 * naming the wrong entry.
 */
export function resolvePolicies(overrides: unknown): PolicyTable {
  const parsed = overridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidConfig(
      `policy override ${issue?.path.join('.') || '(root)'} is invalid: ${issue?.message ?? 'unknown'} (entities: ${ENTITY_TYPES.join(', ')}; tiers: ${TIERS.join(', ')})`,
    );
  }
  const table = { ...DEFAULT_POLICIES };
  for (const entity of ENTITY_TYPES) {
    const override = parsed.data?.[entity];
    if (override) table[entity] = { ...table[entity], ...override };
  }
  return table;
}
