import { z } from 'zod';
import { ENTITY_TYPES, SOURCES } from '../events/entity.js';
import { TIERS } from '../policies/table.js';
import { itemLinksSchema } from '../links/links.js';

/** JWS `typ` of a delivery: never confused with an event or batch token. */
export const DELIVERY_TOKEN_TYPE = 'cds-delivery+jwt';
/** The `iss` of every delivery the relay signs. */
export const DELIVERY_ISSUER = 'cds-relay';

/** One entity's value as it stands after the events a delivery applies. */
export const deliveryItemSchema = z.object({
  eventId: z.string().min(1).max(200),
  /** The side the event came from: a receiver never gets its own changes echoed back. */
  source: z.enum(SOURCES),
  entity: z.enum(ENTITY_TYPES),
  key: z.string().min(1),
  op: z.enum(['upsert', 'delete']),
  /** The value now resolved for the key (null when deleted), not the event's own payload. */
  value: z.record(z.string(), z.unknown()).nullable(),
  /** The course and user links the item needs, as the relay resolved them (DESIGN.md 3b). */
  links: itemLinksSchema.optional(),
});
export type DeliveryItem = z.infer<typeof deliveryItemSchema>;

/** The claims of a delivery besides `iss`, `jti` (the delivery id) and `iat`. */
export const deliveryClaimsSchema = z
  .object({
    eventIds: z.array(z.string().min(1).max(200)).min(1),
    tier: z.enum(TIERS),
    /** In the order the target applies them. */
    items: z.array(deliveryItemSchema),
  })
  .refine((claims) => claims.items.every((item) => claims.eventIds.includes(item.eventId)), {
    message: 'every item must belong to one of the eventIds',
    path: ['items'],
  });
export type DeliveryClaims = z.infer<typeof deliveryClaimsSchema>;

/**
 * What the relay sends a target (DESIGN.md section 5b): one event, or many (a background batch).
 * The `id` is the JWS `jti` and the `Idempotency-Key` header, the same on every retry.
 */
export interface Delivery extends DeliveryClaims {
  id: string;
}
