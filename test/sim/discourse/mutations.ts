// Changes to the simulated Discourse, each announcing the DiscourseEvent a real site triggers and
// the webhook payload serialized at that moment (config/initializers/012-web_hook_events.rb:
// post_created/post_edited/post_destroyed, topic_created/topic_edited, user_created/user_updated,
// user_badge_granted/user_badge_revoked, group_user_added/removed). Validation follows Discourse's
// models: a too-short title or body is a 422 with the model's messages.
import * as p from './webhooks/payloads.js';
import { cook, slugFor } from './rest/serializers.js';
import type {
  DiscourseBadge,
  DiscourseCategory,
  DiscourseGroup,
  DiscoursePost,
  DiscourseState,
  DiscourseTopic,
  DiscourseUser,
  DiscourseUserBadge,
} from './state.js';

/**
 * A refusal as Discourse answers it: `{"errors": [...], "error_type": ...}` with the status
 * (render_json_error in app/controllers/application_controller.rb).
 */
export class DiscourseError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly errorType?: string,
    readonly extras?: Record<string, unknown>,
  ) {
    super(errors.join('; '));
  }

  body(): Record<string, unknown> {
    return {
      errors: this.errors,
      ...(this.errorType ? { error_type: this.errorType } : {}),
      ...(this.extras ? { extras: this.extras } : {}),
    };
  }
}

/** Discourse::NotFound (config/locales/server.en.yml `not_found`). */
export function notFound(): DiscourseError {
  return new DiscourseError(
    404,
    ['The requested URL or resource could not be found.'],
    'not_found',
  );
}

/** Discourse::InvalidParameters / ActionController::ParameterMissing: 400 invalid_parameters. */
export function invalidParameters(name: string): DiscourseError {
  return new DiscourseError(
    400,
    [`You supplied invalid parameters to the request: ${name}`],
    'invalid_parameters',
  );
}

export function missingParameter(name: string): DiscourseError {
  return new DiscourseError(
    400,
    [`param is missing or the value is empty: ${name}`],
    'invalid_parameters',
  );
}

function need<T>(map: Map<number, T>, id: number): T {
  const found = map.get(id);
  if (!found) throw notFound();
  return found;
}

function announceUser(state: DiscourseState, event: string, u: DiscourseUser): void {
  state.announce({ event, type: 'user', id: u.id, payload: p.userPayload(state, u) });
}

export interface UserInput {
  username: string;
  name?: string | null;
  email?: string;
  external_id?: string | null;
  admin?: boolean;
  moderator?: boolean;
  trust_level?: number;
  bio_raw?: string;
}

/** Creates a user (user_created). */
export function createUser(state: DiscourseState, input: UserInput): DiscourseUser {
  if (!/^[\w.-]{3,60}$/.test(input.username)) {
    throw new DiscourseError(422, ['Username must be at least 3 characters']);
  }
  if (state.userByUsername(input.username)) {
    throw new DiscourseError(422, ['Username must be unique']);
  }
  const now = state.time();
  const u: DiscourseUser = {
    id: state.id('users'),
    username: input.username,
    name: input.name ?? null,
    email: input.email ?? `${input.username.toLowerCase()}@example.invalid`,
    external_id: input.external_id ?? null,
    admin: input.admin ?? false,
    moderator: input.moderator ?? false,
    trust_level: input.trust_level ?? 1,
    active: true,
    staged: false,
    title: null,
    bio_raw: input.bio_raw ?? '',
    location: '',
    website: '',
    created_at: now,
    updated_at: now,
    last_seen_at: null,
    last_posted_at: null,
  };
  state.users.set(u.id, u);
  announceUser(state, 'user_created', u);
  return u;
}

export interface UserUpdate {
  name?: string | null;
  title?: string | null;
  bio_raw?: string;
  location?: string;
  website?: string;
  external_id?: string | null;
  email?: string;
  trust_level?: number;
}

/** Updates a user's profile (user_updated), as UsersController#update / UserUpdater do. */
export function updateUser(
  state: DiscourseState,
  userId: number,
  change: UserUpdate,
): DiscourseUser {
  const u = need(state.users, userId);
  for (const [k, v] of Object.entries(change)) {
    if (v !== undefined) (u as unknown as Record<string, unknown>)[k] = v;
  }
  u.updated_at = state.time();
  announceUser(state, 'user_updated', u);
  return u;
}

export interface GroupInput {
  name: string;
  full_name?: string | null;
  bio_raw?: string | null;
  visibility_level?: number;
  usernames?: string[];
}

/** Creates a group (group_created); `usernames` become members. */
export function createGroup(state: DiscourseState, input: GroupInput): DiscourseGroup {
  if (!/^[\w.-]{1,60}$/.test(input.name)) throw new DiscourseError(422, ['Name is invalid']);
  if (state.groupByName(input.name) || state.userByUsername(input.name)) {
    throw new DiscourseError(422, ['Name has already been taken']);
  }
  const g: DiscourseGroup = {
    id: state.id('groups') + 40, // ids 1..40 are Discourse's automatic groups
    name: input.name,
    full_name: input.full_name ?? null,
    bio_raw: input.bio_raw ?? null,
    automatic: false,
    visibility_level: input.visibility_level ?? 0,
    members_visibility_level: 0,
    primary_group: false,
    public_admission: false,
    public_exit: false,
    default_notification_level: 3,
    created_at: state.time(),
  };
  state.groups.set(g.id, g);
  state.announce({ event: 'group_created', type: 'group', id: g.id, groupId: g.id, payload: {} });
  if (input.usernames?.length) addGroupMembers(state, g.id, input.usernames);
  return g;
}

/** Adds members (user_added_to_group each); answers who was added, as GroupsController#add_members. */
export function addGroupMembers(
  state: DiscourseState,
  groupId: number,
  usernames: string[],
): { added: DiscourseUser[] } {
  const g = need(state.groups, groupId);
  const users = usernames.map((n) => state.userByUsername(n));
  if (users.some((u) => !u)) {
    throw new DiscourseError(
      400,
      ['You supplied invalid parameters to the request: usernames'],
      'invalid_parameters',
    );
  }
  const added: DiscourseUser[] = [];
  for (const u of users as DiscourseUser[]) {
    if (state.groupMembers.some((m) => m.group_id === g.id && m.user_id === u.id)) continue;
    state.groupMembers.push({
      group_id: g.id,
      user_id: u.id,
      owner: false,
      created_at: state.time(),
    });
    added.push(u);
    state.announce({
      event: 'user_added_to_group',
      type: 'user',
      id: u.id,
      groupId: g.id,
      payload: { id: u.id, user_id: u.id, group_id: g.id },
    });
  }
  if (added.length === 0) {
    // GroupsController#add_members: everyone already a member is a 422.
    throw new DiscourseError(422, [
      `${usernames.join(', ')} ${usernames.length === 1 ? 'is' : 'are'} already a member of this group.`,
    ]);
  }
  return { added };
}

/** Removes members; unknown or non-member usernames are skipped, as GroupsController#remove_member. */
export function removeGroupMembers(
  state: DiscourseState,
  groupId: number,
  usernames: string[],
): { removed: string[]; skipped: string[] } {
  const g = need(state.groups, groupId);
  const removed: string[] = [];
  const skipped: string[] = [];
  for (const name of usernames) {
    const u = state.userByUsername(name);
    const i = u
      ? state.groupMembers.findIndex((m) => m.group_id === g.id && m.user_id === u.id)
      : -1;
    if (!u || i < 0) {
      skipped.push(name);
      continue;
    }
    state.groupMembers.splice(i, 1);
    removed.push(u.username);
    state.announce({
      event: 'user_removed_from_group',
      type: 'user',
      id: u.id,
      groupId: g.id,
      payload: { id: u.id, user_id: u.id, group_id: g.id },
    });
  }
  return { removed, skipped };
}

export interface BadgeInput {
  name: string;
  badge_type_id: number;
  description?: string;
  long_description?: string;
  icon?: string;
  allow_title?: boolean;
  multiple_grant?: boolean;
  badge_grouping_id?: number;
  enabled?: boolean;
}

/** Creates a badge (Admin::BadgesController#create); names are unique. */
export function createBadge(state: DiscourseState, input: BadgeInput): DiscourseBadge {
  if (!input.name.trim()) throw new DiscourseError(422, ["Name can't be blank"]);
  if ([...state.badges.values()].some((b) => b.name.toLowerCase() === input.name.toLowerCase())) {
    throw new DiscourseError(422, ['Name has already been taken']);
  }
  if (![1, 2, 3].includes(input.badge_type_id)) {
    throw new DiscourseError(422, ["Badge type can't be blank"]);
  }
  const b: DiscourseBadge = {
    id: state.id('badges') + 100, // ids up to 100 are Discourse's system badges
    name: input.name,
    description: input.description ?? '',
    long_description: input.long_description ?? '',
    badge_type_id: input.badge_type_id,
    badge_grouping_id: input.badge_grouping_id ?? 5,
    icon: input.icon ?? 'certificate',
    image_upload_id: null,
    allow_title: input.allow_title ?? false,
    multiple_grant: input.multiple_grant ?? false,
    listable: true,
    enabled: input.enabled ?? true,
    auto_revoke: true,
    target_posts: false,
    show_posts: false,
    show_in_post_header: false,
    system: false,
    manually_grantable: true,
    query: null,
    trigger: null,
    created_at: state.time(),
  };
  state.badges.set(b.id, b);
  return b;
}

/**
 * Grants a badge (BadgeGranter.grant via UserBadgesController#create): a badge without
 * multiple_grant is granted once, a second grant answers the existing one (no event).
 */
export function grantBadge(
  state: DiscourseState,
  input: { badgeId: number; userId: number; grantedById: number; reason?: string | null },
): DiscourseUserBadge {
  const b = need(state.badges, input.badgeId);
  need(state.users, input.userId);
  if (!b.enabled)
    throw new DiscourseError(
      403,
      ['You are not permitted to view the requested resource.'],
      'invalid_access',
    );
  const existing = [...state.userBadges.values()].filter(
    (ub) => ub.badge_id === b.id && ub.user_id === input.userId,
  );
  if (existing.length > 0 && !b.multiple_grant) return existing[0]!;
  const now = state.time();
  const ub: DiscourseUserBadge = {
    id: state.id('userBadges'),
    badge_id: b.id,
    user_id: input.userId,
    granted_by_id: input.grantedById,
    granted_at: now,
    created_at: now,
    post_id: null,
    reason: input.reason ?? null,
    seq: existing.length,
  };
  state.userBadges.set(ub.id, ub);
  state.announce({
    event: 'user_badge_granted',
    type: 'user_badge',
    id: ub.id,
    payload: p.userBadgePayload(state, ub),
  });
  return ub;
}

/** Revokes a granted badge (BadgeGranter.revoke; user_badge_revoked). */
export function revokeBadge(state: DiscourseState, userBadgeId: number): void {
  const ub = need(state.userBadges, userBadgeId);
  const payload = p.userBadgePayload(state, ub);
  state.userBadges.delete(ub.id);
  state.announce({ event: 'user_badge_revoked', type: 'user_badge', id: ub.id, payload });
}

export interface CategoryInput {
  name: string;
  slug?: string;
  color?: string;
  text_color?: string;
  description?: string | null;
  parent_category_id?: number | null;
  permissions?: Record<string, number>;
}

/** Creates a category (category_created). */
export function createCategory(state: DiscourseState, input: CategoryInput): DiscourseCategory {
  if (!input.name.trim()) throw new DiscourseError(422, ["Name can't be blank"]);
  if (
    [...state.categories.values()].some(
      (c) => c.name === input.name && c.parent_category_id === (input.parent_category_id ?? null),
    )
  ) {
    throw new DiscourseError(422, ['Category Name has already been taken']);
  }
  if (input.parent_category_id != null) need(state.categories, input.parent_category_id);
  const permissions = input.permissions ?? { everyone: 1 };
  const c: DiscourseCategory = {
    id: state.id('categories'),
    name: input.name,
    slug: input.slug ?? slugFor(input.name, 'category'),
    color: input.color ?? '0088CC',
    text_color: input.text_color ?? 'FFFFFF',
    description: input.description ?? null,
    parent_category_id: input.parent_category_id ?? null,
    position: state.categories.size,
    read_restricted: !('everyone' in permissions),
    permissions,
    created_at: state.time(),
  };
  state.categories.set(c.id, c);
  state.announce({
    event: 'category_created',
    type: 'category',
    id: c.id,
    categoryId: c.id,
    payload: {},
  });
  return c;
}

/** The Uncategorized category every site has (SiteSetting.uncategorized_category_id). */
export function uncategorized(state: DiscourseState): DiscourseCategory {
  const found = [...state.categories.values()].find((c) => c.slug === 'uncategorized');
  return found ?? createCategory(state, { name: 'Uncategorized', slug: 'uncategorized' });
}

export interface PostInput {
  userId: number;
  raw: string;
  /** A new topic when given (with no topicId). */
  title?: string;
  categoryId?: number;
  topicId?: number;
  replyToPostNumber?: number | null;
  externalId?: string | null;
  createdAt?: string;
}

function announcePost(state: DiscourseState, event: string, post: DiscoursePost): void {
  const topic = state.topics.get(post.topic_id)!;
  state.announce({
    event,
    type: 'post',
    id: post.id,
    categoryId: topic.category_id,
    payload: p.postPayload(state, post),
  });
}

function announceTopic(state: DiscourseState, event: string, topic: DiscourseTopic): void {
  state.announce({
    event,
    type: 'topic',
    id: topic.id,
    categoryId: topic.category_id,
    payload: p.topicPayload(state, topic),
  });
}

/**
 * Creates a topic with its first post, or a reply (PostCreator): topic_created then post_created
 * for a new topic, post_created for a reply. Too-short titles and bodies are 422s.
 */
export function createPost(state: DiscourseState, input: PostInput): DiscoursePost {
  const user = need(state.users, input.userId);
  const newTopic = input.topicId === undefined;
  const errors: string[] = [];
  const s = state.siteSettings;
  const minBody = newTopic ? s.min_first_post_length : s.min_post_length;
  if (input.raw.trim().length < minBody) {
    errors.push(`Body is too short (minimum is ${minBody} characters)`);
  }
  if (newTopic && (input.title ?? '').trim().length < s.min_topic_title_length) {
    errors.push(`Title is too short (minimum is ${s.min_topic_title_length} characters)`);
  }
  if (errors.length) throw new DiscourseError(422, errors);
  const now = input.createdAt ?? state.time();
  let topic: DiscourseTopic;
  if (newTopic) {
    const category =
      input.categoryId !== undefined
        ? need(state.categories, input.categoryId)
        : uncategorized(state);
    topic = {
      id: state.id('topics'),
      title: input.title!.trim(),
      slug: slugFor(input.title!),
      category_id: category.id,
      user_id: user.id,
      archetype: 'regular',
      visible: true,
      closed: false,
      archived: false,
      views: 0,
      like_count: 0,
      highest_post_number: 0,
      last_post_user_id: user.id,
      external_id: input.externalId ?? null,
      created_at: now,
      updated_at: now,
      bumped_at: now,
      last_posted_at: null,
      deleted_at: null,
      deleted_by_id: null,
    };
    state.topics.set(topic.id, topic);
  } else {
    topic = need(state.topics, input.topicId!);
    if (topic.deleted_at) throw notFound();
    if (topic.closed)
      throw new DiscourseError(422, ['This topic is closed; it no longer accepts new replies.']);
  }
  topic.highest_post_number += 1;
  topic.last_post_user_id = user.id;
  topic.last_posted_at = now;
  topic.bumped_at = now;
  const post: DiscoursePost = {
    id: state.id('posts'),
    topic_id: topic.id,
    user_id: user.id,
    post_number: topic.highest_post_number,
    post_type: 1,
    raw: input.raw,
    cooked: cook(input.raw),
    reply_to_post_number: input.replyToPostNumber ?? null,
    version: 1,
    edit_reason: null,
    wiki: false,
    hidden: false,
    user_deleted: false,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  state.posts.set(post.id, post);
  user.last_posted_at = now;
  if (newTopic) announceTopic(state, 'topic_created', topic);
  announcePost(state, 'post_created', post);
  return post;
}

/**
 * Edits a post (PostRevisor): a new version, post_edited; editing the first post's topic title
 * also announces topic_edited.
 */
export function editPost(
  state: DiscourseState,
  postId: number,
  change: { raw?: string; title?: string; editReason?: string | null; categoryId?: number },
): DiscoursePost {
  const post = need(state.posts, postId);
  if (post.deleted_at) throw notFound();
  const topic = state.topics.get(post.topic_id)!;
  const now = state.time();
  let topicChanged = false;
  if (change.raw !== undefined) {
    const min =
      post.post_number === 1
        ? state.siteSettings.min_first_post_length
        : state.siteSettings.min_post_length;
    if (change.raw.trim().length < min) {
      throw new DiscourseError(422, [`Body is too short (minimum is ${min} characters)`]);
    }
    if (change.raw !== post.raw) {
      post.raw = change.raw;
      post.cooked = cook(change.raw);
      post.version += 1;
    }
  }
  if (post.post_number === 1 && change.title !== undefined && change.title !== topic.title) {
    topic.title = change.title;
    topic.slug = slugFor(change.title);
    topicChanged = true;
  }
  if (
    post.post_number === 1 &&
    change.categoryId !== undefined &&
    change.categoryId !== topic.category_id
  ) {
    need(state.categories, change.categoryId);
    topic.category_id = change.categoryId;
    topicChanged = true;
  }
  post.edit_reason = change.editReason ?? post.edit_reason;
  post.updated_at = now;
  if (topicChanged) {
    topic.updated_at = now;
    announceTopic(state, 'topic_edited', topic);
  }
  announcePost(state, 'post_edited', post);
  return post;
}

/** Deletes a post (PostDestroyer; the first post deletes its topic too): post_destroyed. */
export function deletePost(state: DiscourseState, postId: number, actorId: number): void {
  const post = need(state.posts, postId);
  if (post.deleted_at) throw notFound();
  const topic = state.topics.get(post.topic_id)!;
  const now = state.time();
  post.deleted_at = now;
  announcePost(state, 'post_destroyed', post);
  if (post.post_number === 1) {
    topic.deleted_at = now;
    topic.deleted_by_id = actorId;
    announceTopic(state, 'topic_destroyed', topic);
  }
}
