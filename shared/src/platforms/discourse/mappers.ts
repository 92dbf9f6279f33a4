import type { EntityType } from '../../events/entity.js';
import type { SyncEvent } from '../../events/sync-event.js';
import { checkLookup } from '../canvas/lookup.js';
import {
  discourseBadgeSchema,
  firstPostSchema,
  mirroredContentSchema,
  type DiscourseLookup,
  type DiscourseUserRef,
} from './lookup.js';
import {
  parseDiscoursePayload,
  webhookPostSchema,
  webhookTopicSchema,
  webhookUserBadgeSchema,
  webhookUserSchema,
  type WebhookPost,
} from './webhook.js';

// One function per mapped webhook event: what entity instances its payload gives, or why none.

/** What one webhook becomes: unsigned SyncEvents (source `discourse`), or nothing and why. */
export type DiscourseMapResult = { events: SyncEvent[] } | { skipped: string };

export interface DiscourseMapOptions {
  /** Links and Discourse REST look-ups. @defaultValue none: events that need one are skipped */
  lookup?: DiscourseLookup;
  /**
   * When the webhook arrived (ms since the epoch): the change time of the events whose payload
   * has none (user_updated, user_badge_revoked). @defaultValue the current time
   */
  receivedAt?: number;
  /** The Discourse base URL, to make relative avatar templates absolute. @defaultValue none */
  discourseUrl?: string;
}

/** The webhook events (`X-Discourse-Event`) that become SyncEvents, and the entities each gives. */
export const DISCOURSE_MAPPED_EVENTS = {
  post_created: ['forum_post'],
  post_edited: ['forum_post'],
  post_destroyed: ['forum_post'],
  topic_created: ['content_edit'],
  topic_edited: ['content_edit'],
  user_created: ['profile'],
  user_updated: ['profile'],
  user_badge_granted: ['badge'],
  user_badge_revoked: ['badge'],
} as const satisfies Record<string, readonly EntityType[]>;
export type MappedDiscourseEvent = keyof typeof DISCOURSE_MAPPED_EVENTS;

/** One entity instance a webhook gives, before its envelope; `time` is the change in ms. */
export interface Draft {
  entity: EntityType;
  op: 'upsert' | 'delete';
  time: number;
  payload: Record<string, unknown>;
}

export interface Context {
  event: MappedDiscourseEvent;
  root: string;
  body: unknown;
  options: DiscourseMapOptions;
}

type Outcome = Draft[] | { skipped: string };
type Mapper = (ctx: Context) => Promise<Outcome>;

const POST_TYPE_REGULAR = 1; // Post.types[:regular]; the others are notices and whispers
const BADGE_TYPES: Record<number, 'gold' | 'silver' | 'bronze'> = {
  1: 'gold',
  2: 'silver',
  3: 'bronze',
};
/** Discourse's avatar size for profiles (the template's `{size}`). */
const AVATAR_SIZE = 240;

const ms = (iso: string) => Date.parse(iso);
const receivedAt = (ctx: Context) => ctx.options.receivedAt ?? Date.now();

async function canvasUser(
  ctx: Context,
  user: DiscourseUserRef,
): Promise<string | { skipped: string }> {
  const who = `Discourse user ${user.username ? `@${user.username} ` : ''}(id ${user.id})`;
  if (user.id <= 0) return { skipped: `${who} is one of Discourse's own users, not a person` };
  const found = await ctx.options.lookup?.canvasUserOf?.(user);
  return found ?? { skipped: `${who} is not linked to a Canvas user` };
}

async function mapPost(ctx: Context, op: 'upsert' | 'delete'): Promise<Outcome> {
  const p: WebhookPost = parseDiscoursePayload(ctx.event, ctx.root, ctx.body, webhookPostSchema);
  const what = `post ${p.id} of topic ${p.topic_id}`;
  if (p.topic_archetype === 'private_message')
    return { skipped: `${what} is a private message; private messages are never synced` };
  if (p.post_type != null && p.post_type !== POST_TYPE_REGULAR)
    return { skipped: `${what} is not a regular post (post_type ${p.post_type})` };
  if (p.user_id <= 0)
    return { skipped: `${what} was written by Discourse's own user @${p.username}` };
  if (p.category_id == null) return { skipped: `${what} is in a topic without a category` };
  const course = await ctx.options.lookup?.courseOfCategory?.(p.category_id);
  if (!course) return { skipped: `category ${p.category_id} is not linked to a Canvas course` };
  return [
    {
      entity: 'forum_post',
      op,
      // A deletion is a change of its own: later than the last edit.
      time: ms(op === 'delete' ? (p.deleted_at ?? p.updated_at) : p.updated_at),
      payload: {
        id: p.id,
        topic_id: p.topic_id,
        post_number: p.post_number,
        user_id: p.user_id,
        username: p.username,
        category_id: p.category_id,
        raw: p.raw,
        reply_to_post_number: p.reply_to_post_number ?? null,
        created_at: p.created_at,
        updated_at: p.updated_at,
        deleted_at: p.deleted_at ?? null,
      },
    },
  ];
}

async function mapTopic(ctx: Context): Promise<Outcome> {
  const t = parseDiscoursePayload(ctx.event, ctx.root, ctx.body, webhookTopicSchema);
  if (t.archetype === 'private_message')
    return { skipped: `topic ${t.id} is a private message; private messages are never synced` };
  const { lookup } = ctx.options;
  const link = await lookup?.contentOfTopic?.(t.id);
  if (!link)
    return {
      skipped: `topic ${t.id} does not mirror a Canvas page or announcement (no content link)`,
    };
  const content = checkLookup(mirroredContentSchema, link, `the content link of topic ${t.id}`);
  const getFirstPost = lookup?.firstPost?.bind(lookup);
  if (!getFirstPost)
    return {
      skipped: `${ctx.event} carries no body: the content_edit of topic ${t.id} needs its first post (a DiscourseLookup with firstPost)`,
    };
  const found = await getFirstPost(t.id);
  if (!found) return { skipped: `the first post of topic ${t.id} is not in Discourse (404)` };
  const first = checkLookup(firstPostSchema, found, `the first post of topic ${t.id}`);
  return [
    {
      entity: 'content_edit',
      op: 'upsert',
      // The topic payload has no updated_at; editing a title revises the first post too.
      time: Math.max(ms(first.updated_at), ms(t.created_at)),
      payload: {
        origin: content.origin,
        course_id: content.course_id,
        content_type: content.content_type,
        content_id: content.content_id,
        discourse_topic_id: t.id,
        title: t.title,
        body_html: first.cooked,
        updated_at: new Date(Math.max(ms(first.updated_at), ms(t.created_at))).toISOString(),
        edited_by: first.username,
      },
    },
  ];
}

/** An http(s) URL, or undefined: profile URLs must be absolute. */
function absoluteUrl(value: string, base: string | undefined): string | undefined {
  try {
    const url = base ? new URL(value, base) : new URL(value);
    return /^https?:$/.test(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

async function mapUser(ctx: Context): Promise<Outcome> {
  const u = parseDiscoursePayload(ctx.event, ctx.root, ctx.body, webhookUserSchema);
  const externalId = u.external_id == null ? undefined : String(u.external_id);
  const canvasUserId = await canvasUser(ctx, {
    id: u.id,
    username: u.username,
    ...(externalId && { external_id: externalId }),
  });
  if (typeof canvasUserId !== 'string') return canvasUserId;
  // Only the fields Discourse owns (PROFILE_FIELD_OWNERS): the name is Canvas's.
  const avatar = u.avatar_template
    ? absoluteUrl(
        u.avatar_template.replace('{size}', String(AVATAR_SIZE)),
        ctx.options.discourseUrl,
      )
    : undefined;
  const website =
    u.website == null ? undefined : u.website === '' ? '' : absoluteUrl(u.website, undefined);
  const fields = {
    ...(u.bio_raw != null && { bio_raw: u.bio_raw }),
    ...(avatar && { avatar_url: avatar }),
    ...(website !== undefined && { website }),
    ...(u.location != null && { location: u.location }),
    ...(u.title != null && { title: u.title }),
  };
  if (Object.keys(fields).length === 0)
    return {
      skipped: `${ctx.event} of @${u.username} carries none of the profile fields Discourse owns (bio_raw, avatar_url, website, location, title)`,
    };
  return [
    {
      entity: 'profile',
      op: 'upsert',
      // The user payload has no updated_at: a creation is timed by created_at, an update on arrival.
      time: ctx.event === 'user_created' ? ms(u.created_at) : receivedAt(ctx),
      payload: { canvas_user_id: canvasUserId, discourse_user_id: u.id, ...fields },
    },
  ];
}

async function mapUserBadge(ctx: Context, revoked: boolean): Promise<Outcome> {
  const ub = parseDiscoursePayload(ctx.event, ctx.root, ctx.body, webhookUserBadgeSchema);
  const { lookup } = ctx.options;
  const getBadge = lookup?.badge?.bind(lookup);
  if (!getBadge)
    return {
      skipped: `${ctx.event} carries only badge_id ${ub.badge_id}: its badge needs the badge's name and slug (a DiscourseLookup with badge)`,
    };
  const found = await getBadge(ub.badge_id);
  if (!found) return { skipped: `badge ${ub.badge_id} is not in Discourse (404)` };
  const badge = checkLookup(discourseBadgeSchema, found, `Discourse badge ${ub.badge_id}`);
  const canvasUserId = await canvasUser(ctx, { id: ub.user_id });
  if (typeof canvasUserId !== 'string') return canvasUserId;
  return [
    {
      entity: 'badge',
      op: 'upsert',
      // A revocation is later than the grant, but its time is not in the payload.
      time: revoked ? receivedAt(ctx) : ms(ub.granted_at),
      payload: {
        issuer: 'discourse',
        badge_slug: badge.slug,
        name: badge.name,
        ...(badge.description && { description: badge.description.slice(0, 1000) }),
        badge_type: BADGE_TYPES[badge.badge_type_id] ?? 'bronze',
        discourse_badge_id: badge.id,
        canvas_user_id: canvasUserId,
        discourse_user_id: ub.user_id,
        granted_at: ub.granted_at,
        revoked,
      },
    },
  ];
}

export const MAPPERS: Record<MappedDiscourseEvent, Mapper> = {
  post_created: (ctx) => mapPost(ctx, 'upsert'),
  post_edited: (ctx) => mapPost(ctx, 'upsert'),
  post_destroyed: (ctx) => mapPost(ctx, 'delete'),
  topic_created: mapTopic,
  topic_edited: mapTopic,
  user_created: mapUser,
  user_updated: mapUser,
  user_badge_granted: (ctx) => mapUserBadge(ctx, false),
  user_badge_revoked: (ctx) => mapUserBadge(ctx, true),
};
