// An event's outcome as the appliers record it: applied (with a note of what was skipped or done
// instead), or rejected for good with the reason (the relay dead-letters it).
import type { z } from 'zod';
import {
  PAYLOAD_SCHEMAS_V1,
  type DeliveryItem,
  type EntityType,
  type PayloadV1,
} from '@cds/shared';
import type { ApplyContext } from './appliers.js';
import { CanvasRefused } from './canvas-client.js';
import type { EventOutcome } from './store.js';

export const rejected = (reason: string): EventOutcome => ({ outcome: 'rejected', reason });
export const APPLIED: EventOutcome = { outcome: 'applied' };

/** The rejection of an item whose value its entity's schema refused, naming the first issue. */
export function invalidValue(what: string, error: z.ZodError): EventOutcome {
  const issue = error.issues[0];
  return rejected(
    `${what} value is invalid: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
  );
}

/** The item's value as its entity's payload; when the schema refuses it, records the rejection. */
export async function parsedValue<E extends EntityType>(
  ctx: ApplyContext,
  item: DeliveryItem,
  entity: E,
): Promise<PayloadV1<E> | undefined> {
  const parsed = PAYLOAD_SCHEMAS_V1[entity].safeParse(item.value);
  if (parsed.success) return parsed.data as PayloadV1<E>;
  await ctx.record(item.eventId, invalidValue(entity, parsed.error));
  return undefined;
}

/**
 * Runs `write` (which may return a note for the applied outcome); Canvas refusing it for good
 * becomes this event's rejection with Canvas's reason. Anything else (CanvasUnavailable) throws.
 */
export async function settle(
  ctx: ApplyContext,
  eventId: string,
  write: () => Promise<string | void>,
): Promise<void> {
  let note: string | void;
  try {
    note = await write();
  } catch (error) {
    if (!(error instanceof CanvasRefused)) throw error;
    await ctx.record(eventId, rejected(error.message));
    return;
  }
  await ctx.record(eventId, note ? { outcome: 'applied', note } : APPLIED);
}
