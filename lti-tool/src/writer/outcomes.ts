// An event's outcome as the appliers record it: applied (with a note of what was skipped or done
// instead), or rejected for good with the reason (the relay dead-letters it).
import type { ApplyContext } from './appliers.js';
import { CanvasRefused } from './canvas-client.js';
import type { EventOutcome } from './store.js';

export const rejected = (reason: string): EventOutcome => ({ outcome: 'rejected', reason });
export const APPLIED: EventOutcome = { outcome: 'applied' };

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
