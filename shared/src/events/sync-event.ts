import { z } from 'zod';
import { InvalidEvent } from '../errors.js';
import { hlcSchema } from '../clock/hlc.js';
import { versionVectorSchema } from '../clock/version-vector.js';
import { ENTITY_TYPES, SOURCES } from './entity.js';

/** RFC 9562 UUID version 7: time-ordered, so ids sort by creation and double as idempotency keys. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** `segment:value` pairs joined by `/`, e.g. `course:42/user:7/assignment:9`. */
const ENTITY_KEY = /^[a-z_]+:[^/\s]+(?:\/[a-z_]+:[^/\s]+)*$/;

/** `<entity>@v<version>`, e.g. `grade@v1`. */
const SCHEMA_REF = /^([a-z_]+)@v([1-9]\d{0,5})$/;

/**
 * The envelope of every change (DESIGN.md section 2). `payload` is checked against its own schema
 * by the mapping registry, which knows every `<entity>@<version>`.
 */
export const syncEventSchema = z
  .object({
    id: z.string().regex(UUID_V7, 'must be a UUIDv7 (lower-case, version 7)'),
    source: z.enum(SOURCES),
    entity: z.enum(ENTITY_TYPES),
    key: z.string().max(512).regex(ENTITY_KEY, 'must look like course:42/user:7/assignment:9'),
    op: z.enum(['upsert', 'delete']),
    vv: versionVectorSchema,
    hlc: hlcSchema,
    schema: z.string().regex(SCHEMA_REF, 'must look like grade@v1'),
    payload: z.record(z.string(), z.unknown()),
  })
  .superRefine((event, ctx) => {
    const schemaEntity = SCHEMA_REF.exec(event.schema)?.[1];
    if (schemaEntity !== undefined && schemaEntity !== event.entity) {
      ctx.addIssue({
        code: 'custom',
        path: ['schema'],
        message: `names entity "${schemaEntity}" but the event's entity is "${event.entity}"`,
      });
    }
    if ((event.vv[event.source] ?? 0) < 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['vv', event.source],
        message: `must count this change: the producer's own entry (${event.source}) must be at least 1`,
      });
    }
  });

export type SyncEvent = z.infer<typeof syncEventSchema>;

/** Splits `grade@v2` into its entity and version number. */
export function parseSchemaRef(ref: string): { entity: string; version: number } | undefined {
  const match = SCHEMA_REF.exec(ref);
  if (!match?.[1] || !match[2]) return undefined;
  return { entity: match[1], version: Number(match[2]) };
}

/** One readable line from a zod error: `vv.canvas: expected number; key: must look like ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Validates the envelope; throws InvalidEvent naming every wrong field. */
export function parseSyncEvent(input: unknown): SyncEvent {
  const result = syncEventSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidEvent(`invalid SyncEvent: ${describeZodError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
