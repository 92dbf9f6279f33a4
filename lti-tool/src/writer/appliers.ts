// How each Canvas-bound entity is written to Canvas (DESIGN.md section 3, "flows"): a grade as an
// AGS score on its line item, forum posts as one participation score per student and course.
// Entities Canvas has no write for are refused with the reason, so the relay dead-letters them.
import type { DeliveryItem, EntityType } from '@cds/shared';
import { localCanvasId } from '@cds/shared';
import type { CanvasAgs } from './ags.js';
import { CanvasRefused } from './canvas-client.js';
import { contentEdits } from './content.js';
import { APPLIED, parsedValue, rejected, settle } from './outcomes.js';
import { profiles } from './profile.js';
import type { CanvasRestWrites } from './rest.js';
import type { EventOutcome, WriterStore } from './store.js';

export interface ApplyContext {
  ags: CanvasAgs;
  store: WriterStore;
  /** When the relay signed the delivery (ms): the score timestamp when the value has none. */
  issuedAt: number;
  /** Records one event's outcome as soon as it is known, so a retry does not write it again. */
  record(eventId: string, outcome: EventOutcome): Promise<void>;
  /** Called between writes: throws CanvasUnavailable when Canvas's rate limit runs low. */
  pace(): void;
}

/** Applies a run of items of one entity, in order, recording each event's outcome. */
export type Applier = (items: DeliveryItem[], ctx: ApplyContext) => Promise<void>;

export interface ApplierOptions {
  /**
   * "Sync now" for a course (a `sync_request` from the relay): back-fill it from Canvas at once,
   * e.g. the REST poller's round for that course. Without it, requests are refused with the reason.
   */
  onSyncRequest?: (courseId: string) => Promise<void>;
  /** Posts that earn full participation marks. @defaultValue 10 */
  forumPostsForFullMarks?: number;
  /**
   * Canvas REST with CANVAS_API_TOKEN, for what LTI Advantage cannot write: pages and
   * announcements (content_edit), profiles. Without it those are refused naming the setting.
   */
  rest?: CanvasRestWrites;
}

const GRADE_KEY = /^course:(\d+)\/user:(\d+)\/assignment:(\d+)$/;

/**
 * A grade for Canvas (a participation grade from the forum): an AGS score on the line item the
 * tool keeps for that assignment (resourceId `canvas-assignment:<id>`, created when missing).
 */
export const applyGrades: Applier = async (items, ctx) => {
  for (const item of items) {
    ctx.pace();
    const key = GRADE_KEY.exec(item.key);
    if (!key) {
      await ctx.record(
        item.eventId,
        rejected(`grade key "${item.key}" names no course, user and assignment`),
      );
      continue;
    }
    const [, course, user, assignment] = key as unknown as [string, string, string, string];
    let score: number | null = null;
    let pointsPossible: number | null = null;
    let gradedAt: string | undefined;
    if (item.op === 'upsert') {
      const value = await parsedValue(ctx, item, 'grade');
      if (!value) continue;
      ({ score, points_possible: pointsPossible } = value);
      gradedAt = value.graded_at;
    }
    const scoreMaximum = pointsPossible ?? 100;
    await settle(ctx, item.eventId, async () => {
      const lineItem = await ctx.ags.lineItem(course, {
        resourceId: `canvas-assignment:${localCanvasId(assignment)}`,
        tag: 'cds-grade',
        label: `Participation grade (assignment ${localCanvasId(assignment)})`,
        scoreMaximum,
      });
      await ctx.ags.publishScore(lineItem, {
        userId: await ctx.ags.ltiUserId(course, user),
        scoreGiven: score,
        scoreMaximum,
        timestamp: gradedAt ?? new Date(ctx.issuedAt).toISOString(),
      });
    });
  }
};

const POST_KEY = /^topic:\d+\/post:(\d+)$/;

/**
 * The Canvas course and user of a forum post, from the links the relay resolved for it
 * (`item.links`, DESIGN.md section 3b: the course of its category, the Canvas user of its author),
 * or why it has none. The relay holds a post until both links exist, so a missing one here is a
 * relay that did not resolve it: refused with the reason rather than guessed.
 */
function postOwner(
  item: DeliveryItem,
  post: { category_id: number | null; user_id: number },
): { courseId: string; canvasUserId: string } | string {
  const { course, user } = item.links ?? {};
  if (post.category_id === null) return 'the post is in no Discourse category, so in no course';
  if (!course || course.category_id !== post.category_id)
    return `Discourse category ${post.category_id} is not linked to a Canvas course (the delivery carries no course link for it)`;
  if (!user || user.discourse_user_id !== post.user_id)
    return `Discourse user ${post.user_id} is not linked to a Canvas user (the delivery carries no user link for them)`;
  return { courseId: course.course_id, canvasUserId: user.canvas_user_id };
}

/**
 * Forum posts (a background batch): each post is tallied per student and course, then every
 * student the batch touched gets one score on the course's "Forum participation" line item.
 */
export function forumParticipation(options: ApplierOptions = {}): Applier {
  const fullMarks = options.forumPostsForFullMarks ?? 10;
  return async (items, ctx) => {
    // Which events each student's score settles.
    const students = new Map<string, { course: string; user: string; eventIds: string[] }>();
    for (const item of items) {
      const postId = POST_KEY.exec(item.key)?.[1];
      if (!postId) {
        await ctx.record(item.eventId, rejected(`forum post key "${item.key}" names no post`));
        continue;
      }
      let owner: { courseId: string; canvasUserId: string } | undefined;
      let live = false;
      if (item.op === 'upsert') {
        const post = await parsedValue(ctx, item, 'forum_post');
        if (!post) continue;
        const linked = postOwner(item, post);
        if (typeof linked === 'string') {
          await ctx.record(item.eventId, rejected(linked));
          continue;
        }
        owner = linked;
        live = post.deleted_at === null;
      } else {
        owner = await ctx.store.postOwner(postId);
        if (!owner) {
          // A post never counted: deleting it changes no score.
          await ctx.record(item.eventId, APPLIED);
          continue;
        }
      }
      await ctx.store.notePost({ postId, ...owner, live });
      const id = `${owner.courseId} ${owner.canvasUserId}`;
      const student = students.get(id) ?? {
        course: owner.courseId,
        user: owner.canvasUserId,
        eventIds: [],
      };
      student.eventIds.push(item.eventId);
      students.set(id, student);
    }
    for (const student of students.values()) {
      ctx.pace();
      const posts = await ctx.store.postCount(student.course, student.user);
      let refusal: string | undefined;
      try {
        const lineItem = await ctx.ags.lineItem(student.course, {
          resourceId: 'forum-participation',
          tag: 'cds-forum-participation',
          label: 'Forum participation',
          scoreMaximum: fullMarks,
        });
        await ctx.ags.publishScore(lineItem, {
          userId: await ctx.ags.ltiUserId(student.course, student.user),
          scoreGiven: Math.min(posts, fullMarks),
          scoreMaximum: fullMarks,
          timestamp: new Date().toISOString(),
          comment: `${posts} forum post${posts === 1 ? '' : 's'}`,
        });
      } catch (error) {
        if (!(error instanceof CanvasRefused)) throw error;
        refusal = error.message;
      }
      for (const eventId of student.eventIds)
        await ctx.record(eventId, refusal ? rejected(refusal) : APPLIED);
    }
  };
}

const NO_TOKEN =
  'the tool has no Canvas REST token: set CANVAS_API_TOKEN (an access token of a Canvas admin, or of a teacher for pages and announcements)';

/** Entities that flow to Canvas but have no Canvas write here: refused with the reason. */
export function noCanvasWrite(entity: EntityType, why: string): Applier {
  return async (items, ctx) => {
    for (const item of items)
      await ctx.record(item.eventId, rejected(`${entity} cannot be written to Canvas: ${why}`));
  };
}

const SYNC_KEY = /^course:(\d+)\/sync:course$/;

/**
 * A person's "Sync now": reads the course from Canvas again at once. Several requests for one
 * course in a delivery are one back-fill. A failed back-fill throws, so the relay retries it.
 */
export function syncRequests(onSyncRequest: ApplierOptions['onSyncRequest']): Applier {
  return async (items, ctx) => {
    const byCourse = new Map<string, string[]>();
    for (const item of items) {
      const course = SYNC_KEY.exec(item.key)?.[1];
      if (!course) {
        await ctx.record(item.eventId, rejected(`sync request key ${item.key} names no course`));
        continue;
      }
      byCourse.set(course, [...(byCourse.get(course) ?? []), item.eventId]);
    }
    for (const [course, eventIds] of byCourse) {
      if (onSyncRequest) await onSyncRequest(course);
      const outcome = onSyncRequest
        ? APPLIED
        : rejected('the tool reads no Canvas REST API (set CANVAS_URL and CANVAS_API_TOKEN)');
      for (const eventId of eventIds) await ctx.record(eventId, outcome);
    }
  };
}

/** The default appliers, by entity; anything missing is refused as not a Canvas entity. */
export function canvasAppliers(options: ApplierOptions = {}): Partial<Record<EntityType, Applier>> {
  return {
    grade: applyGrades,
    forum_post: forumParticipation(options),
    sync_request: syncRequests(options.onSyncRequest),
    badge: noCanvasWrite(
      'badge',
      'Canvas has no API to grant badges (Canvas Credentials is a separate service)',
    ),
    profile: options.rest ? profiles(options.rest) : noCanvasWrite('profile', NO_TOKEN),
    content_edit: options.rest
      ? contentEdits(options.rest)
      : noCanvasWrite('content_edit', NO_TOKEN),
  };
}
