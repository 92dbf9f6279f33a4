import type { Tier } from '@cds/shared';

/** Tiers whose events are queued one by one; background events wait for the batch job. */
export const QUEUED_TIERS = ['critical', 'high'] as const satisfies readonly Tier[];
export type QueuedTier = (typeof QUEUED_TIERS)[number];

export function isQueuedTier(tier: Tier): tier is QueuedTier {
  return (QUEUED_TIERS as readonly Tier[]).includes(tier);
}
