import type { CourseLink, UserLink } from '@cds/shared';
import type {
  CanvasIdentitiesTable,
  CourseLinksTable,
  LinkRequestsTable,
  UserLinksTable,
} from '../db/schema.js';
import type { LinkNeed } from '../links/needs.js';
import { chunks, type Db } from './common.js';

// Every query of the link tables (DESIGN.md section 3b): course links, user links, what the relay
// knows of Canvas users, the deliveries waiting for a link and the self-service requests.

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function courseLinkOf(row: CourseLinksTable): CourseLink {
  return {
    course_id: row.course_id,
    category_id: Number(row.category_id),
    category_name: row.category_name,
    group_id: Number(row.group_id),
    group_name: row.group_name,
    method: row.method,
    made_by: row.made_by,
    created_at: iso(row.created_at),
  };
}

export function userLinkOf(row: UserLinksTable): UserLink {
  return {
    canvas_user_id: row.canvas_user_id,
    discourse_user_id: Number(row.discourse_user_id),
    discourse_username: row.discourse_username,
    method: row.method,
    made_by: row.made_by,
    created_at: iso(row.created_at),
  };
}

export async function getCourseLink(db: Db, courseId: string): Promise<CourseLink | undefined> {
  const row = await db
    .selectFrom('course_links')
    .selectAll()
    .where('course_id', '=', courseId)
    .executeTakeFirst();
  return row && courseLinkOf(row);
}

export async function courseLinkOfCategory(
  db: Db,
  categoryId: number,
): Promise<CourseLink | undefined> {
  const row = await db
    .selectFrom('course_links')
    .selectAll()
    .where('category_id', '=', categoryId)
    .executeTakeFirst();
  return row && courseLinkOf(row);
}

/** Replaces the course's link (an instructor may change it). */
export async function putCourseLink(db: Db, row: CourseLinksTable): Promise<void> {
  await db.deleteFrom('course_links').where('course_id', '=', row.course_id).execute();
  await db.insertInto('course_links').values(row).execute();
}

/** The Canvas courses linked to any of these Discourse categories. */
export async function coursesOfCategories(
  db: Db,
  categoryIds: readonly number[],
): Promise<string[]> {
  if (categoryIds.length === 0) return [];
  const rows = await db
    .selectFrom('course_links')
    .select('course_id')
    .where('category_id', 'in', [...categoryIds].slice(0, 1000))
    .execute();
  return rows.map((r) => r.course_id);
}

export async function deleteCourseLink(db: Db, courseId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('course_links')
    .where('course_id', '=', courseId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listCourseLinks(db: Db): Promise<CourseLink[]> {
  const rows = await db.selectFrom('course_links').selectAll().orderBy('course_id').execute();
  return rows.map(courseLinkOf);
}

export async function getUserLink(db: Db, canvasUserId: string): Promise<UserLink | undefined> {
  const row = await db
    .selectFrom('user_links')
    .selectAll()
    .where('canvas_user_id', '=', canvasUserId)
    .executeTakeFirst();
  return row && userLinkOf(row);
}

export async function userLinkOfDiscourseUser(
  db: Db,
  discourseUserId: number,
): Promise<UserLink | undefined> {
  const row = await db
    .selectFrom('user_links')
    .selectAll()
    .where('discourse_user_id', '=', discourseUserId)
    .executeTakeFirst();
  return row && userLinkOf(row);
}

/** The link a need names (links/needs.ts), when it exists. */
export async function existingLink(
  db: Db,
  need: LinkNeed,
): Promise<{ course: CourseLink } | { user: UserLink } | undefined> {
  let found: { course?: CourseLink; user?: UserLink };
  switch (need.kind) {
    case 'course':
      found = { course: await getCourseLink(db, need.courseId) };
      break;
    case 'category':
      found = { course: await courseLinkOfCategory(db, need.categoryId) };
      break;
    case 'user':
      found = { user: await getUserLink(db, need.canvasUserId) };
      break;
    case 'discourse_user':
      found = { user: await userLinkOfDiscourseUser(db, need.discourseUserId) };
      break;
  }
  if (found.course) return { course: found.course };
  if (found.user) return { user: found.user };
  return undefined;
}

export async function putUserLink(db: Db, row: UserLinksTable): Promise<void> {
  await db.deleteFrom('user_links').where('canvas_user_id', '=', row.canvas_user_id).execute();
  await db.insertInto('user_links').values(row).execute();
}

export async function deleteUserLink(db: Db, canvasUserId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('user_links')
    .where('canvas_user_id', '=', canvasUserId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Remembers that a person removed this user's link: automatic linking stays off for them. */
export async function addOptout(db: Db, canvasUserId: string, removedBy: string, now = Date.now()) {
  await db
    .insertInto('user_link_optouts')
    .values({ canvas_user_id: canvasUserId, removed_by: removedBy, removed_at: now })
    .onConflict((oc) =>
      oc.column('canvas_user_id').doUpdateSet({ removed_by: removedBy, removed_at: now }),
    )
    .execute();
}

export async function getOptout(db: Db, canvasUserId: string) {
  const row = await db
    .selectFrom('user_link_optouts')
    .selectAll()
    .where('canvas_user_id', '=', canvasUserId)
    .executeTakeFirst();
  return row && { removedBy: row.removed_by, removedAt: Number(row.removed_at) };
}

export async function deleteOptout(db: Db, canvasUserId: string): Promise<void> {
  await db.deleteFrom('user_link_optouts').where('canvas_user_id', '=', canvasUserId).execute();
}

export async function listUserLinks(db: Db): Promise<UserLink[]> {
  const rows = await db.selectFrom('user_links').selectAll().orderBy('canvas_user_id').execute();
  return rows.map(userLinkOf);
}

export type CanvasIdentity = Omit<CanvasIdentitiesTable, 'updated_at'>;

/** Records what a launch said of a user; a field it did not say keeps its earlier value. */
export async function putIdentity(db: Db, identity: CanvasIdentity, now = Date.now()) {
  const known = await getIdentity(db, identity.canvas_user_id);
  const merged = {
    canvas_user_id: identity.canvas_user_id,
    lti_sub: identity.lti_sub ?? known?.lti_sub ?? null,
    sis_user_id: identity.sis_user_id ?? known?.sis_user_id ?? null,
    login_id: identity.login_id ?? known?.login_id ?? null,
    email: identity.email ?? known?.email ?? null,
    updated_at: now,
  };
  if (known)
    await db
      .updateTable('canvas_identities')
      .set(merged)
      .where('canvas_user_id', '=', identity.canvas_user_id)
      .execute();
  else await db.insertInto('canvas_identities').values(merged).execute();
}

export async function getIdentity(
  db: Db,
  canvasUserId: string,
): Promise<CanvasIdentitiesTable | undefined> {
  return db
    .selectFrom('canvas_identities')
    .selectAll()
    .where('canvas_user_id', '=', canvasUserId)
    .executeTakeFirst();
}

export interface LinkWait {
  eventId: string;
  target: string;
  need: string;
  reason: string;
  receivedAt: number;
}

/** Holds these deliveries until their links exist (one row per event and target). */
export async function addWaits(db: Db, waits: readonly LinkWait[], now = Date.now()) {
  for (const chunk of chunks(waits, 200)) {
    await db
      .insertInto('link_waits')
      .values(
        chunk.map((w) => ({
          event_id: w.eventId,
          target: w.target,
          need: w.need,
          reason: w.reason,
          received_at: w.receivedAt,
          since: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['event_id', 'target']).doUpdateSet((eb) => ({
          need: eb.ref('excluded.need'),
          reason: eb.ref('excluded.reason'),
        })),
      )
      .execute();
  }
}

/** Takes the waits for these needs (or every wait waiting since `before`), oldest event first. */
export async function takeWaits(
  db: Db,
  select: { needs: readonly string[] } | { before: number; limit: number },
): Promise<LinkWait[]> {
  let query = db.selectFrom('link_waits').selectAll().orderBy('received_at').orderBy('event_id');
  query =
    'needs' in select
      ? query.where('need', 'in', [...select.needs])
      : query.where('since', '<=', select.before).limit(select.limit);
  if ('needs' in select && select.needs.length === 0) return [];
  const rows = await query.execute();
  for (const chunk of chunks(rows)) {
    for (const target of new Set(chunk.map((r) => r.target)))
      await db
        .deleteFrom('link_waits')
        .where('target', '=', target)
        .where(
          'event_id',
          'in',
          chunk.filter((r) => r.target === target).map((r) => r.event_id),
        )
        .execute();
  }
  return rows.map((r) => ({
    eventId: r.event_id,
    target: r.target,
    need: r.need,
    reason: r.reason,
    receivedAt: Number(r.received_at),
  }));
}

/** The needs waited for since before `before`, the longest waiting first (one row per need). */
export async function staleNeeds(db: Db, before: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('link_waits')
    .select((eb) => ['need', eb.fn.min('since').as('oldest')])
    .groupBy('need')
    .having((eb) => eb.fn.min('since'), '<=', before)
    .orderBy('oldest')
    .limit(limit)
    .execute();
  return rows.map((r) => r.need);
}

/** Marks the waits of these needs as looked at now: the next recheck takes other needs first. */
export async function touchWaits(db: Db, needs: readonly string[], now = Date.now()) {
  for (const chunk of chunks(needs))
    await db.updateTable('link_waits').set({ since: now }).where('need', 'in', chunk).execute();
}

/** Forgets the waits of these events (replayed: decided and delivered anew). */
export async function dropWaits(db: Db, eventIds: readonly string[]): Promise<void> {
  for (const chunk of chunks(eventIds))
    await db.deleteFrom('link_waits').where('event_id', 'in', chunk).execute();
}

/** Waiting deliveries by reason (for a course's keys, when given), for the status views. */
export async function waitsByReason(
  db: Db,
  keyPatterns?: readonly string[],
): Promise<Array<{ reason: string; need: string; count: number }>> {
  let query = db
    .selectFrom('link_waits')
    .select((eb) => ['link_waits.reason', 'link_waits.need', eb.fn.countAll().as('count')])
    .groupBy(['link_waits.reason', 'link_waits.need'])
    .orderBy('link_waits.need');
  if (keyPatterns) {
    if (keyPatterns.length === 0) return [];
    query = query
      .innerJoin('events', 'events.id', 'link_waits.event_id')
      .where((eb) => eb.or(keyPatterns.map((p) => eb('events.key', 'like', p))));
  }
  const rows = await query.execute();
  return rows.map((r) => ({ reason: r.reason, need: r.need, count: Number(r.count) }));
}

/** Starts a self-service link; the user's unfinished one in that course is replaced. */
export async function putLinkRequest(db: Db, row: LinkRequestsTable): Promise<void> {
  await db
    .deleteFrom('link_requests')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<', Date.now() - 3_600_000),
        eb.and([
          eb('canvas_user_id', '=', row.canvas_user_id),
          eb('course_id', '=', row.course_id),
        ]),
      ]),
    )
    .execute();
  await db.insertInto('link_requests').values(row).execute();
}

/** Takes the user's self-service request in a course: it can be used once. */
export async function takeLinkRequestOf(
  db: Db,
  canvasUserId: string,
  courseId: string,
): Promise<LinkRequestsTable | undefined> {
  const row = await db
    .selectFrom('link_requests')
    .selectAll()
    .where('canvas_user_id', '=', canvasUserId)
    .where('course_id', '=', courseId)
    .executeTakeFirst();
  if (row) await db.deleteFrom('link_requests').where('nonce', '=', row.nonce).execute();
  return row && { ...row, expires_at: Number(row.expires_at) };
}
