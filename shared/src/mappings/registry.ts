import type { z } from 'zod';
import { InvalidConfig, InvalidEvent, UnknownSchema } from '../errors.js';
import { ENTITY_TYPES, type EntityType } from '../events/entity.js';
import { KEY_OF_V1, PAYLOAD_SCHEMAS_V1 } from '../events/payloads/index.js';
import { describeZodError, parseSchemaRef, type SyncEvent } from '../events/sync-event.js';

type Payload = Record<string, unknown>;

/** One version of an entity's payload schema. */
export interface SchemaVersionDefinition {
  entity: EntityType;
  version: number;
  schema: z.ZodType<Payload>;
  /** Turns a payload of this version into one of `version + 1`. Absent on the canonical version. */
  upcast?: (payload: Payload) => Payload;
  /** The entity key a canonical payload belongs to. Required on the canonical version. */
  keyOf?: (payload: Payload) => string;
}

/** A canonical event: its payload validated and upcast to the entity's newest schema version. */
export interface CanonicalEvent extends SyncEvent {
  /** The schema the producer sent, e.g. `grade@v1`; `schema` then names the canonical version. */
  sourceSchema: string;
  /**
   * The payload as validated in the producer's schema: unknown fields dropped, defaults applied.
   * This is what the relay logs, so every entity stores only what its schema knows.
   */
  sourcePayload: Payload;
}

/**
 * Versioned payload schemas and the upcasters between them: `<entity>@v1 -> ... -> canonical`
 * (DESIGN.md section 4). An unknown version is an UnknownSchema error, for the relay to park
 * visibly until a mapping is added: never dropped, never guessed.
 */
export class MappingRegistry {
  private readonly versions = new Map<string, SchemaVersionDefinition>();
  private readonly canonicalVersion = new Map<EntityType, number>();

  register(definition: SchemaVersionDefinition): this {
    const ref = `${definition.entity}@v${definition.version}`;
    if (this.versions.has(ref)) throw new InvalidConfig(`schema ${ref} is registered twice`);
    this.versions.set(ref, definition);
    const current = this.canonicalVersion.get(definition.entity) ?? 0;
    if (definition.version > current)
      this.canonicalVersion.set(definition.entity, definition.version);
    return this;
  }

  /** The canonical schema reference of an entity, e.g. `grade@v2`. */
  canonicalSchema(entity: EntityType): string {
    const version = this.canonicalVersion.get(entity);
    if (version === undefined)
      throw new UnknownSchema(`no schema is registered for entity ${entity}`);
    return `${entity}@v${version}`;
  }

  /** Every registered `<entity>@v<n>`, for status pages and docs. */
  list(): string[] {
    return [...this.versions.keys()].sort();
  }

  /**
   * Validates an event's payload against its declared schema, upcasts it to the canonical
   * version and checks that the event's key is the one the payload belongs to.
   */
  toCanonical(event: SyncEvent): CanonicalEvent {
    const ref = parseSchemaRef(event.schema);
    const definition = this.versions.get(event.schema);
    if (!ref || !definition) {
      const known = [...this.versions.keys()].filter((k) => k.startsWith(`${event.entity}@`));
      throw new UnknownSchema(
        `no mapping for schema ${event.schema} (known for ${event.entity}: ${known.join(', ') || 'none'}); the event is kept until one is added`,
      );
    }
    const sourcePayload = this.validate(definition, event.payload, event.schema);
    let payload = sourcePayload;
    let step = definition;
    const canonical = this.canonicalVersion.get(event.entity)!;
    while (step.version < canonical) {
      const nextRef = `${event.entity}@v${step.version + 1}`;
      const next = this.versions.get(nextRef);
      if (!step.upcast || !next) {
        throw new UnknownSchema(`no upcaster from ${event.entity}@v${step.version} to ${nextRef}`);
      }
      payload = this.validate(next, step.upcast(payload), nextRef);
      step = next;
    }
    const expectedKey = step.keyOf?.(payload);
    if (expectedKey !== undefined && expectedKey !== event.key) {
      throw new InvalidEvent(
        `key ${event.key} does not match the payload, which belongs to ${expectedKey}`,
      );
    }
    return {
      ...event,
      payload,
      schema: `${event.entity}@v${canonical}`,
      sourceSchema: event.schema,
      sourcePayload,
    };
  }

  private validate(definition: SchemaVersionDefinition, payload: unknown, ref: string): Payload {
    const result = definition.schema.safeParse(payload);
    if (!result.success) {
      throw new InvalidEvent(`payload does not match ${ref}: ${describeZodError(result.error)}`, {
        cause: result.error,
      });
    }
    return result.data;
  }
}

/** A registry with the v1 schema of every entity: the starting point every app extends. */
export function defaultMappings(): MappingRegistry {
  const registry = new MappingRegistry();
  for (const entity of ENTITY_TYPES) {
    registry.register({
      entity,
      version: 1,
      schema: PAYLOAD_SCHEMAS_V1[entity] as unknown as z.ZodType<Payload>,
      keyOf: KEY_OF_V1[entity] as (payload: Payload) => string,
    });
  }
  return registry;
}
