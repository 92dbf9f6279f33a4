import { z } from 'zod';

/**
 * What a receiver may answer a delivery with (a 2xx with a JSON body), when it applied some of its
 * events and refused others for good: each refused event with the reason, which the relay puts in
 * that event's dead letter. Every event not listed counts as applied. A receiver that cannot apply
 * anything now answers 5xx or 429 instead, and the whole delivery is retried under the same id.
 */
export const deliveryResultSchema = z.object({
  rejected: z
    .array(
      z.object({
        eventId: z.string().min(1).max(200),
        reason: z.string().min(1).max(1000),
      }),
    )
    .max(10_000)
    .default([]),
});
export type DeliveryResult = z.infer<typeof deliveryResultSchema>;

/**
 * Reads a receiver's 2xx answer: the refused events of this delivery, by id. A body that is not
 * a result (empty, not JSON, another shape) means all applied: the 2xx is the receiver's word.
 * Ids the delivery did not carry are ignored.
 */
export function refusedEvents(body: string, eventIds: readonly string[]): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return new Map();
  }
  const result = deliveryResultSchema.safeParse(parsed);
  if (!result.success) return new Map();
  const carried = new Set(eventIds);
  return new Map(
    result.data.rejected
      .filter((r) => carried.has(r.eventId))
      .map((r) => [r.eventId, r.reason] as const),
  );
}

/** What a connector learned from a successful delivery: the events the target refused, with why. */
export interface DeliveryOutcome {
  refused: ReadonlyMap<string, string>;
}
