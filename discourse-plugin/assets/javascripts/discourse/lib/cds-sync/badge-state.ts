// What a moderator's sync badge says about one entity: synced, pending, failed or conflict, and
// why. Pure, so the same rule holds for posts, topics and users.
import type { EntityStatus } from './status';

export const BADGE_STATES = ['synced', 'pending', 'failed', 'conflict'] as const;
export type BadgeState = (typeof BADGE_STATES)[number];

export interface SyncBadgeInfo {
  state: BadgeState;
  /** Said on hover and to screen readers. */
  reason: string;
}

export const BADGE_LABELS: Record<BadgeState, string> = {
  synced: 'Synced',
  pending: 'Pending',
  failed: 'Failed',
  conflict: 'Conflict',
};

/**
 * The badge for an entity's status, or null when the relay has never seen it (no badge is
 * better than a made-up "synced"). An open conflict outranks everything: it waits for a person;
 * then the newest event decides.
 */
export function badgeOf(status: EntityStatus): SyncBadgeInfo | null {
  const conflict = status.conflicts[0];
  if (conflict) {
    const fields = conflict.fields.length > 0 ? conflict.fields.join(', ') : 'the content';
    return { state: 'conflict', reason: `Both sides changed ${fields}: a person must choose.` };
  }
  if (status.syncState?.status === 'conflict')
    return {
      state: 'conflict',
      reason: status.syncState.reason || 'Waiting in the conflict queue.',
    };
  const newest = status.events[0];
  if (!newest) return null;
  switch (newest.state) {
    case 'accepted':
    case 'delivering':
      return { state: 'pending', reason: newest.reason || 'On its way to the other side.' };
    case 'parked':
      return {
        state: 'pending',
        reason: newest.reason || 'Parked until the relay knows this schema version.',
      };
    case 'waiting':
      // Held until a course or user link exists (`pending: course not linked (...)`), then sent.
      return {
        state: 'pending',
        reason: newest.reason || 'Waiting for a course or user link; sent once it exists.',
      };
    case 'dead':
      return { state: 'failed', reason: newest.reason || 'Delivery failed beyond its retries.' };
    case 'conflict':
      return { state: 'conflict', reason: newest.reason || 'Waiting in the conflict queue.' };
    case 'applied':
    case 'stale':
    case 'overridden':
      return {
        state: 'synced',
        reason: status.syncState?.reason || newest.reason || 'In step with Canvas.',
      };
  }
}

/** A badge serialized by the plugin on a model (`cds_sync`), when it has the right shape. */
export function serializedBadge(value: unknown): SyncBadgeInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const { state, reason } = value as { state?: unknown; reason?: unknown };
  if (typeof state !== 'string' || !(BADGE_STATES as readonly string[]).includes(state))
    return null;
  return { state: state as BadgeState, reason: typeof reason === 'string' ? reason : '' };
}
