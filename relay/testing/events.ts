// Test support: events written to the log as the ingest would, for tests of the later stages.
import { DEFAULT_POLICIES, type SyncEvent } from '@cds/shared';
import type { Store } from '../src/db/connect.js';
import { writeTransaction } from '../src/db/transaction.js';
import { logEvents } from '../src/store/events.js';

/** Logs `events` as accepted (their producer named after their source); returns their ids. */
export async function logAccepted(
  store: Store,
  events: readonly SyncEvent[],
  at = Date.now(),
): Promise<string[]> {
  await writeTransaction(store, (tx) =>
    logEvents(
      tx,
      events.map((event) => ({
        event,
        producer: event.source,
        tier: DEFAULT_POLICIES[event.entity].tier,
        state: 'accepted' as const,
      })),
      at,
    ),
  );
  return events.map((e) => e.id);
}
