import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import {
  CdsError,
  type CourseLink,
  type CourseLinkMethod,
  type Tier,
  type UserLink,
  type UserLinkMethod,
} from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction, type Tx } from '../db/transaction.js';
import type { RelayQueues } from '../queue/queues.js';
import { setEventState } from '../store/events.js';
import {
  addOptout,
  courseLinkOfCategory,
  deleteCourseLink,
  deleteOptout,
  existingLink,
  getOptout,
  deleteUserLink,
  getCourseLink,
  getUserLink,
  putCourseLink,
  putUserLink,
  takeWaits,
  userLinkOfDiscourseUser,
  type LinkWait,
} from '../store/links.js';
import { reopenWaitingDeliveries } from '../store/deliveries.js';
import { parseNeed } from './needs.js';

export interface NewCourseLink {
  courseId: string;
  categoryId: number;
  categoryName: string;
  groupId: number;
  groupName: string;
  method: CourseLinkMethod;
}

export interface NewUserLink {
  canvasUserId: string;
  discourseUserId: number;
  discourseUsername: string;
  method: UserLinkMethod;
}

/** The advisory lock key of link changes on PostgreSQL (any fixed 64-bit number). */
const LINKS_LOCK = 0x6364_736c_696e_6b73n; // "cdslinks"

/** Link methods the relay uses on its own: never against a person's removal. */
const AUTOMATIC = new Set<UserLinkMethod>(['external_id', 'email']);

/** Whether the link a wait's need names (links/needs.ts needKey) exists. */
async function linkExists(trx: Tx, key: string): Promise<boolean> {
  const need = parseNeed(key);
  return need !== undefined && (await existingLink(trx, need)) !== undefined;
}

/** A delivery job owed by a released wait: sent after the transaction commits. */
interface ReleasedJob {
  target: string;
  deliveryId: string;
  tier: Tier;
  eventIds: string[];
}

/**
 * Every change of the link tables (DESIGN.md section 3b), each audited; a new link releases the
 * deliveries that waited for it, oldest first, under a fresh delivery id (the waiting part of a
 * batch was never sent under the batch's id). Removing a link stops what follows it: later events
 * wait again, and the answer says so.
 */
export class LinkService {
  constructor(
    private readonly store: Store,
    private readonly queues: RelayQueues,
  ) {}

  /** Links (or re-links) a course; refuses a category another course already has. */
  async linkCourse(link: NewCourseLink, actor: string): Promise<CourseLink> {
    const { result, jobs } = await this.change(async (trx) => {
      const taken = await courseLinkOfCategory(trx, link.categoryId);
      if (taken && taken.course_id !== link.courseId)
        throw new CdsError(
          'ERR_CONFLICT',
          `Discourse category ${link.categoryId} is already the forum of Canvas course ${taken.course_id}`,
        );
      const before = await getCourseLink(trx, link.courseId);
      const row = {
        course_id: link.courseId,
        category_id: link.categoryId,
        category_name: link.categoryName,
        group_id: link.groupId,
        group_name: link.groupName,
        method: link.method,
        made_by: actor,
        created_at: Date.now(),
      };
      await putCourseLink(trx, row);
      await appendAudit(trx, [
        {
          actor,
          action: before ? 'link.course.changed' : 'link.course.added',
          subject: `course:${link.courseId}`,
          detail: { ...row, ...(before && { before }) },
        },
      ]);
      const jobs = await this.releaseIn(trx, [
        `course:${link.courseId}`,
        `category:${link.categoryId}`,
      ]);
      return { result: (await getCourseLink(trx, link.courseId))!, jobs };
    });
    await this.enqueue(jobs);
    return result;
  }

  async unlinkCourse(courseId: string, actor: string): Promise<CourseLink> {
    return this.transaction(async (trx) => {
      const before = await getCourseLink(trx, courseId);
      if (!before) throw new CdsError('ERR_NOT_FOUND', `Canvas course ${courseId} is not linked`);
      await deleteCourseLink(trx, courseId);
      await appendAudit(trx, [
        { actor, action: 'link.course.removed', subject: `course:${courseId}`, detail: before },
      ]);
      return before;
    });
  }

  /** Links a Canvas user; refuses a Discourse account that is another Canvas user's. */
  async linkUser(link: NewUserLink, actor: string): Promise<UserLink> {
    const { result, jobs } = await this.change(async (trx) => {
      const taken = await userLinkOfDiscourseUser(trx, link.discourseUserId);
      if (taken && taken.canvas_user_id !== link.canvasUserId)
        throw new CdsError(
          'ERR_CONFLICT',
          `Discourse account @${taken.discourse_username} is already linked to another Canvas user`,
        );
      if (AUTOMATIC.has(link.method)) {
        const optout = await getOptout(trx, link.canvasUserId);
        if (optout)
          throw new CdsError(
            'ERR_CONFLICT',
            `the forum link of Canvas user ${link.canvasUserId} was removed by ${optout.removedBy} on ${new Date(optout.removedAt).toISOString()}: it is not made again automatically`,
          );
      } else await deleteOptout(trx, link.canvasUserId);
      const before = await getUserLink(trx, link.canvasUserId);
      // Two workers finding the same account at once: the second finds it made, nothing changes.
      if (before?.discourse_user_id === link.discourseUserId && AUTOMATIC.has(link.method))
        return { result: before, jobs: [] };
      const row = {
        canvas_user_id: link.canvasUserId,
        discourse_user_id: link.discourseUserId,
        discourse_username: link.discourseUsername,
        method: link.method,
        made_by: actor,
        created_at: Date.now(),
      };
      await putUserLink(trx, row);
      await appendAudit(trx, [
        {
          actor,
          action: before ? 'link.user.changed' : 'link.user.added',
          subject: `user:${link.canvasUserId}`,
          detail: { ...row, ...(before && { before }) },
        },
      ]);
      const jobs = await this.releaseIn(trx, [
        `user:${link.canvasUserId}`,
        `discourse_user:${link.discourseUserId}`,
      ]);
      return { result: (await getUserLink(trx, link.canvasUserId))!, jobs };
    });
    await this.enqueue(jobs);
    return result;
  }

  async unlinkUser(canvasUserId: string, actor: string): Promise<UserLink> {
    return this.transaction(async (trx) => {
      const before = await getUserLink(trx, canvasUserId);
      if (!before) throw new CdsError('ERR_NOT_FOUND', `Canvas user ${canvasUserId} is not linked`);
      await deleteUserLink(trx, canvasUserId);
      // A person removed it: finding the same account again by its external id or e-mail would undo that.
      await addOptout(trx, canvasUserId, actor);
      await appendAudit(trx, [
        { actor, action: 'link.user.removed', subject: `user:${canvasUserId}`, detail: before },
      ]);
      return before;
    });
  }

  /**
   * Releases the waits for those of these needs whose link exists: a link made while a worker
   * was holding a delivery for it (after it looked, before its wait was saved) releases it now.
   */
  async releaseLinked(needs: readonly string[]): Promise<void> {
    const { jobs } = await this.change(async (trx) => {
      const linked: string[] = [];
      for (const need of new Set(needs)) if (await linkExists(trx, need)) linked.push(need);
      return { result: undefined, jobs: await this.releaseIn(trx, linked) };
    });
    await this.enqueue(jobs);
  }

  private change<T>(work: (trx: Tx) => Promise<{ result: T; jobs: ReleasedJob[] }>) {
    return this.transaction(work);
  }

  /**
   * One link change at a time: each reads the links, then writes them (two workers finding one
   * account at once). SQLite's write transaction is exclusive already; PostgreSQL takes a
   * transaction-scoped advisory lock.
   */
  private transaction<T>(work: (trx: Tx) => Promise<T>): Promise<T> {
    return writeTransaction(this.store, async (trx) => {
      if (trx.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(${LINKS_LOCK})`.execute(trx);
      return work(trx);
    });
  }

  private async releaseIn(trx: Tx, needs: string[]): Promise<ReleasedJob[]> {
    return this.reopen(trx, await takeWaits(trx, { needs }), 'its link now exists: sending');
  }

  /** Waiting deliveries back to pending, one fresh delivery per target and tier, in order. */
  private async reopen(trx: Tx, waits: LinkWait[], why: string): Promise<ReleasedJob[]> {
    if (waits.length === 0) return [];
    const now = Date.now();
    const jobs = new Map<string, ReleasedJob>();
    const byTarget = new Map<string, string[]>();
    const sent = new Set<string>();
    for (const wait of waits)
      byTarget.set(wait.target, [...(byTarget.get(wait.target) ?? []), wait.eventId]);
    for (const [target, eventIds] of byTarget) {
      const reopened = await reopenWaitingDeliveries(trx, target, eventIds, (tier) => {
        const key = `${target} ${tier}`;
        const job = jobs.get(key) ?? { target, tier, deliveryId: uuidv7(), eventIds: [] };
        jobs.set(key, job);
        return job.deliveryId;
      });
      for (const { eventId, tier } of reopened) {
        jobs.get(`${target} ${tier}`)!.eventIds.push(eventId);
        sent.add(eventId);
      }
    }
    // Only those still waiting: a wait whose delivery was replayed or dropped meanwhile is gone.
    await setEventState(trx, [...sent], 'delivering', why, now);
    return [...jobs.values()].filter((job) => job.eventIds.length > 0);
  }

  private async enqueue(jobs: ReleasedJob[]): Promise<void> {
    // Lost to a Redis outage, the sweeper finds the pending deliveries and queues them again.
    for (const { target, ...job } of jobs) await this.queues.enqueueDelivery(target, job);
  }
}
