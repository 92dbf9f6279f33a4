import {
  PAYLOAD_SCHEMAS_V1,
  PROFILE_FIELD_OWNERS,
  type DeliveryItem,
  type EntityType,
  type PayloadV1,
} from '@cds/shared';
import type { OutboundMapping } from '../connector.js';

/** The user custom field holding a user's latest Canvas sync state (see `SyncStateValue`). */
export const SYNC_STATE_FIELD = 'cds_sync_state';

/** A badge as the connector creates it once: found again by its unique name. */
export interface BadgeSpec {
  name: string;
  description: string;
  /** BadgeType: 1 gold, 2 silver, 3 bronze (https://docs.discourse.org/#tag/Badges). */
  badgeTypeId: 1 | 2 | 3;
}

/**
 * The per-user sync state the plugin shows on user cards: the latest Canvas grade or submission
 * the relay synced for that user, as JSON in the user custom field `cds_sync_state`.
 */
export interface SyncStateValue {
  entity: 'grade' | 'assignment_submission';
  key: string;
  course_id: string;
  assignment_id: string;
  /** e.g. "8 / 10", "submitted (late)". */
  summary: string;
  /** When Canvas recorded it (graded_at, submitted_at), if it said. */
  at: string | null;
  event_id: string;
}

/** What one delivered item asks of Discourse, for the Canvas user `user`. */
export type DiscourseWrite =
  | { kind: 'badge'; user: string; badge: BadgeSpec; granted: boolean }
  | { kind: 'membership'; user: string; course: { id: string; name?: string }; member: boolean }
  | { kind: 'sync_state'; user: string; state: SyncStateValue }
  | { kind: 'name'; user: string; name: string }
  /** Nothing to write in Discourse: the event is taken as it is. */
  | { kind: 'none'; why: string }
  /** Discourse cannot take it: refused for good with the reason. */
  | { kind: 'refuse'; reason: string };

/** Enrollment states whose user belongs in the course group; any other state leaves it. */
const MEMBER_STATES = new Set(['active', 'completed']);

const BADGE_TYPE = { gold: 1, silver: 2, bronze: 3 } as const;

/** Names stay under Discourse's 100-character badge names, with the course id to keep them apart. */
function badgeName(title: string, courseId: string | undefined): string {
  const suffix = courseId ? ` (course ${courseId})` : '';
  return `${title.slice(0, 100 - suffix.length).trim()}${suffix}`;
}

function payload<E extends EntityType>(entity: E, value: unknown): PayloadV1<E> | undefined {
  const parsed = PAYLOAD_SCHEMAS_V1[entity].safeParse(value);
  return parsed.success ? (parsed.data as PayloadV1<E>) : undefined;
}

/** A badge granted to (or taken from) the Canvas user `user`. */
function badgeWrite(user: string, granted: boolean, badge: BadgeSpec): DiscourseWrite {
  return { kind: 'badge', user, badge, granted };
}

/** The latest grade or submission of a user, as the item carrying it names it. */
function syncStateWrite(
  item: DeliveryItem,
  entity: SyncStateValue['entity'],
  p: { user_id: string; course_id: string; assignment_id: string },
  shown: Pick<SyncStateValue, 'summary' | 'at'>,
): DiscourseWrite {
  return {
    kind: 'sync_state',
    user: p.user_id,
    state: {
      entity,
      key: item.key,
      course_id: p.course_id,
      assignment_id: p.assignment_id,
      summary: shown.summary,
      at: shown.at,
      event_id: item.eventId,
    },
  };
}

/** Canvas-originated events to the Discourse writes that show them (DESIGN.md section 3). */
export function toDiscourseWrite(item: DeliveryItem): DiscourseWrite {
  if (item.source === 'discourse') return { kind: 'none', why: 'it came from Discourse' };
  if (item.op === 'delete' || item.value === null) {
    // A deletion carries no value: no user or badge name to act on. Canvas marks withdrawals
    // on the value instead (a revoked certificate, a deleted enrollment), and those are applied.
    return { kind: 'refuse', reason: `a ${item.entity} deletion names no user to apply it to` };
  }
  const unreadable: DiscourseWrite = {
    kind: 'refuse',
    reason: `the ${item.entity} value is not a valid ${item.entity}@v1 payload`,
  };
  switch (item.entity) {
    case 'certificate': {
      const p = payload('certificate', item.value);
      if (!p) return unreadable;
      return badgeWrite(p.user_id, !p.revoked, {
        name: badgeName(p.title, p.course_id),
        description: `Certificate "${p.title}" issued in Canvas course ${p.course_id}.`,
        badgeTypeId: 1,
      });
    }
    case 'course_completion': {
      const p = payload('course_completion', item.value);
      if (!p) return unreadable;
      const completed = p.progress.requirement_completed_count >= p.progress.requirement_count;
      return badgeWrite(p.user.id, completed, {
        name: badgeName(`Completed ${p.course.name}`, p.course.id),
        description: `Met every requirement of the Canvas course ${p.course.name}.`,
        badgeTypeId: 2,
      });
    }
    case 'exam_result': {
      const p = payload('exam_result', item.value);
      if (!p) return unreadable;
      // A failed attempt leaves an earlier pass standing (Canvas keeps the kept_score).
      if (!p.passed) return { kind: 'none', why: 'the quiz was not passed' };
      return badgeWrite(p.user_id, true, {
        name: badgeName(`Passed quiz ${p.quiz_id}`, p.course_id),
        description: `Passed quiz ${p.quiz_id} of Canvas course ${p.course_id}.`,
        badgeTypeId: 3,
      });
    }
    case 'badge': {
      const p = payload('badge', item.value);
      if (!p) return unreadable;
      return badgeWrite(p.canvas_user_id, !p.revoked, {
        name: p.name,
        description: p.description ?? `${p.name}, issued in Canvas.`,
        badgeTypeId: BADGE_TYPE[p.badge_type],
      });
    }
    case 'enrollment': {
      const p = payload('enrollment', item.value);
      if (!p) return unreadable;
      return {
        kind: 'membership',
        user: p.user_id,
        course: { id: p.course_id },
        member: MEMBER_STATES.has(p.workflow_state),
      };
    }
    case 'grade': {
      const p = payload('grade', item.value);
      if (!p) return unreadable;
      // Muted (unposted) grades must not show on either side: the state says so, not the score.
      const score =
        p.score === null
          ? 'no grade'
          : `${p.score}${p.points_possible === null ? '' : ` / ${p.points_possible}`}`;
      return syncStateWrite(item, 'grade', p, {
        summary: p.muted ? 'graded (not yet posted)' : score,
        at: p.graded_at ?? null,
      });
    }
    case 'assignment_submission': {
      const p = payload('assignment_submission', item.value);
      if (!p) return unreadable;
      const flags = [p.late ? 'late' : '', p.missing ? 'missing' : ''].filter(Boolean);
      return syncStateWrite(item, 'assignment_submission', p, {
        summary: `${p.workflow_state.replace('_', ' ')}${flags.length ? ` (${flags.join(', ')})` : ''}`,
        at: p.submitted_at,
      });
    }
    case 'profile': {
      const p = payload('profile', item.value);
      if (!p) return unreadable;
      // Only Canvas-owned fields come this way; of those, Discourse has the name.
      if (PROFILE_FIELD_OWNERS.name !== 'canvas' || p.name === undefined)
        return { kind: 'none', why: 'no Canvas-owned field Discourse keeps' };
      return { kind: 'name', user: p.canvas_user_id, name: p.name };
    }
    case 'sync_request':
      return { kind: 'none', why: 'a trigger, nothing to write' };
    case 'content_edit':
    case 'forum_post':
      return {
        kind: 'refuse',
        reason: `the Discourse connector does not write ${item.entity} (not built yet)`,
      };
  }
}

export const discourseMapping: OutboundMapping<DiscourseWrite> = { toTarget: toDiscourseWrite };
