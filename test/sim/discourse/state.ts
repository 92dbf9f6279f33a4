// The Discourse simulator's data: one in-memory Discourse site. The REST API, the admin API for
// webhooks, the User API key flow and the control API read and change it; every change is
// announced on `changes` (the DiscourseEvent a real site triggers) and the webhook emitter turns
// each into the deliveries Discourse would enqueue (config/initializers/012-web_hook_events.rb).
// Ids are per table, as Discourse's PostgreSQL sequences are. Others extend this file by ADDING.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';

export interface DiscourseUser {
  id: number;
  username: string;
  name: string | null;
  email: string;
  /** Secondary e-mail addresses (user_emails with primary: false); none when absent. */
  secondary_emails?: string[];
  /** DiscourseConnect (SSO) external id, looked up by GET /u/by-external/:external_id.json. */
  external_id: string | null;
  admin: boolean;
  moderator: boolean;
  trust_level: number;
  active: boolean;
  staged: boolean;
  title: string | null;
  bio_raw: string;
  location: string;
  website: string;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
  last_posted_at: string | null;
  /** User custom fields (user_custom_fields), written through PUT /u/:username when registered. */
  custom_fields?: Record<string, string>;
}

export interface DiscourseGroup {
  id: number;
  name: string;
  full_name: string | null;
  bio_raw: string | null;
  automatic: boolean;
  visibility_level: number;
  members_visibility_level: number;
  primary_group: boolean;
  public_admission: boolean;
  public_exit: boolean;
  default_notification_level: number;
  created_at: string;
}

export interface DiscourseGroupMember {
  group_id: number;
  user_id: number;
  owner: boolean;
  created_at: string;
}

export interface DiscourseBadge {
  id: number;
  name: string;
  description: string;
  long_description: string;
  /** BadgeType: 1 Gold, 2 Silver, 3 Bronze. */
  badge_type_id: number;
  badge_grouping_id: number;
  icon: string;
  image_upload_id: number | null;
  allow_title: boolean;
  multiple_grant: boolean;
  listable: boolean;
  enabled: boolean;
  auto_revoke: boolean;
  target_posts: boolean;
  show_posts: boolean;
  show_in_post_header: boolean;
  system: boolean;
  manually_grantable: boolean;
  query: string | null;
  trigger: number | null;
  created_at: string;
}

export interface DiscourseUserBadge {
  id: number;
  badge_id: number;
  user_id: number;
  granted_by_id: number;
  granted_at: string;
  created_at: string;
  post_id: number | null;
  /** The `reason` given on a manual grant (a post or topic URL in Discourse). */
  reason: string | null;
  /** Discourse's seq: the n-th grant of a multiple_grant badge to this user. */
  seq: number;
}

export interface DiscourseCategory {
  id: number;
  name: string;
  slug: string;
  color: string;
  text_color: string;
  description: string | null;
  parent_category_id: number | null;
  position: number;
  read_restricted: boolean;
  /** group name -> permission type (1 full, 2 create_post, 3 readonly). */
  permissions: Record<string, number>;
  created_at: string;
}

export interface DiscourseTopic {
  id: number;
  title: string;
  slug: string;
  category_id: number;
  user_id: number;
  archetype: 'regular' | 'private_message';
  visible: boolean;
  closed: boolean;
  archived: boolean;
  views: number;
  like_count: number;
  /** post_number of the last post ever created (never decreases, as in Discourse). */
  highest_post_number: number;
  last_post_user_id: number;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  bumped_at: string;
  last_posted_at: string | null;
  deleted_at: string | null;
  deleted_by_id: number | null;
}

export interface DiscoursePost {
  id: number;
  topic_id: number;
  user_id: number;
  post_number: number;
  /** Post.types: 1 regular, 2 moderator_action, 3 small_action, 4 whisper. */
  post_type: number;
  raw: string;
  cooked: string;
  reply_to_post_number: number | null;
  version: number;
  edit_reason: string | null;
  wiki: boolean;
  hidden: boolean;
  user_deleted: boolean;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** An admin API key (Admin > API): `user_id` null means "all users" (any Api-Username). */
export interface DiscourseApiKey {
  key: string;
  user_id: number | null;
  description: string;
  revoked_at: string | null;
}

/** A User API key (https://meta.discourse.org/t/user-api-keys-specification/48536). */
export interface DiscourseUserApiKey {
  id: number;
  key: string;
  user_id: number;
  client_id: string;
  application_name: string;
  scopes: string[];
  push_url: string | null;
  revoked_at: string | null;
  created_at: string;
}

/** A configured webhook (Admin > API > Webhooks; app/models/web_hook.rb). */
export interface DiscourseWebHook {
  id: number;
  payload_url: string;
  /** WebHook.content_types: 1 application/json, 2 application/x-www-form-urlencoded. */
  content_type: number;
  secret: string;
  wildcard_web_hook: boolean;
  verify_certificate: boolean;
  active: boolean;
  /** WebHookEventType ids (see WEB_HOOK_EVENT_TYPES). */
  web_hook_event_type_ids: number[];
  category_ids: number[];
  group_ids: number[];
  /** WebHook.last_delivery_statuses: 1 inactive, 2 failed, 3 successful, 4 disabled. */
  last_delivery_status: number;
  created_at: string;
  updated_at: string;
}

/** Site settings the simulator honours. */
export interface DiscourseSiteSettings {
  /** Retry failed webhook deliveries (off by default in Discourse). */
  retry_web_hook_events: boolean;
  min_topic_title_length: number;
  min_first_post_length: number;
  min_post_length: number;
  min_trust_level_for_user_api_key: number;
  /** User API key scopes allowed (SiteSetting.allow_user_api_key_scopes). */
  allow_user_api_key_scopes: string[];
  /** URLs the User API key flow may redirect to (SiteSetting.allowed_user_api_auth_redirects). */
  allowed_user_api_auth_redirects: string[];
}

/** A change in the site: the DiscourseEvent that webhooks hang off. */
export interface DiscourseChange {
  /** The event name (X-Discourse-Event), e.g. `post_created`. */
  event: string;
  /** The payload type (X-Discourse-Event-Type and the body's root key), e.g. `post`. */
  type: 'post' | 'topic' | 'user' | 'user_badge' | 'group' | 'category';
  /** The record's id. */
  id: number;
  /** The category, for category-filtered webhooks. */
  categoryId?: number;
  /** The group, for group-filtered webhooks (Discourse passes it for group events only). */
  groupId?: number;
  /**
   * The payload as serialized when the change happened (Discourse serializes when it enqueues,
   * so a later change does not alter an earlier event's body).
   */
  payload: Record<string, unknown>;
  at: string;
}

/** WebHookEventType::TYPES (app/models/web_hook_event_type.rb), keyed by the seeded event names (WebHookEventType.seed in discourse/discourse: 1401 is "user_added_to_group"). */
export const WEB_HOOK_EVENT_TYPES: Readonly<Record<string, number>> = {
  topic_created: 101,
  topic_revised: 102,
  topic_edited: 103,
  topic_destroyed: 104,
  topic_recovered: 105,
  post_created: 201,
  post_edited: 202,
  post_destroyed: 203,
  post_recovered: 204,
  user_logged_in: 301,
  user_logged_out: 302,
  user_confirmed_email: 303,
  user_created: 304,
  user_approved: 305,
  user_updated: 306,
  user_destroyed: 307,
  user_suspended: 308,
  user_unsuspended: 309,
  group_created: 401,
  group_updated: 402,
  group_destroyed: 403,
  category_created: 501,
  category_updated: 502,
  category_destroyed: 503,
  user_badge_granted: 1301,
  user_badge_revoked: 1302,
  user_added_to_group: 1401,
  user_removed_from_group: 1402,
};

type Table =
  | 'users'
  | 'groups'
  | 'badges'
  | 'userBadges'
  | 'categories'
  | 'topics'
  | 'posts'
  | 'userApiKeys'
  | 'webHooks'
  | 'webHookEvents';

/** The whole simulated Discourse site. */
export class DiscourseState {
  readonly users = new Map<number, DiscourseUser>();
  readonly groups = new Map<number, DiscourseGroup>();
  readonly groupMembers: DiscourseGroupMember[] = [];
  readonly badges = new Map<number, DiscourseBadge>();
  readonly userBadges = new Map<number, DiscourseUserBadge>();
  readonly categories = new Map<number, DiscourseCategory>();
  readonly topics = new Map<number, DiscourseTopic>();
  readonly posts = new Map<number, DiscoursePost>();
  /** Admin API keys by key string. */
  readonly apiKeys = new Map<string, DiscourseApiKey>();
  /** User API keys by key string. */
  readonly userApiKeys = new Map<string, DiscourseUserApiKey>();
  readonly webHooks = new Map<number, DiscourseWebHook>();
  readonly siteSettings: DiscourseSiteSettings = {
    retry_web_hook_events: false,
    min_topic_title_length: 15,
    min_first_post_length: 20,
    min_post_length: 20,
    min_trust_level_for_user_api_key: 0,
    allow_user_api_key_scopes: [
      'read',
      'write',
      'message_bus',
      'push',
      'notifications',
      'session_info',
      'one_time_password',
    ],
    allowed_user_api_auth_redirects: ['https://api.discourse.org/api/auth_redirect'],
  };
  /**
   * User custom fields plugins let PUT /u/:username write (DiscoursePluginRegistry via
   * `register_editable_user_custom_field`): `self` by the user, `staff` by staff only. Without a
   * registration Discourse drops the field silently (UsersController#user_params permits it not).
   */
  readonly editableUserCustomFields = { self: new Set<string>(), staff: new Set<string>() };
  /** Every change, in order; the webhook emitter listens. */
  readonly changes = new EventEmitter<{ change: [DiscourseChange] }>();
  private readonly sequences = new Map<Table, number>();
  /** The simulated clock: tests may set it to make times reproducible. */
  now: () => Date = () => new Date();

  /** The next id of a table (each table has its own sequence, as in PostgreSQL). */
  id(table: Table): number {
    const next = (this.sequences.get(table) ?? 0) + 1;
    this.sequences.set(table, next);
    return next;
  }

  time(): string {
    return this.now().toISOString();
  }

  announce(change: Omit<DiscourseChange, 'at'>): void {
    this.changes.emit('change', { ...change, at: this.time() });
  }

  /** Records of `map` matching `where`, ordered by id. */
  list<T extends { id: number }>(map: Map<number, T>, where: (item: T) => boolean = () => true) {
    return [...map.values()].filter(where).sort((a, b) => a.id - b.id);
  }

  userByUsername(username: string): DiscourseUser | undefined {
    const lower = username.toLowerCase();
    return [...this.users.values()].find((u) => u.username.toLowerCase() === lower);
  }

  groupByName(name: string): DiscourseGroup | undefined {
    const lower = name.toLowerCase();
    return [...this.groups.values()].find((g) => g.name.toLowerCase() === lower);
  }

  membersOf(groupId: number): DiscourseUser[] {
    return this.groupMembers
      .filter((m) => m.group_id === groupId)
      .map((m) => this.users.get(m.user_id))
      .filter((u): u is DiscourseUser => u !== undefined);
  }

  groupsOf(userId: number): DiscourseGroup[] {
    return this.groupMembers
      .filter((m) => m.user_id === userId)
      .map((m) => this.groups.get(m.group_id))
      .filter((g): g is DiscourseGroup => g !== undefined);
  }

  /** Posts of a topic in post_number order (deleted ones included; callers filter). */
  postsOf(topicId: number): DiscoursePost[] {
    return [...this.posts.values()]
      .filter((p) => p.topic_id === topicId)
      .sort((a, b) => a.post_number - b.post_number);
  }

  /** A fresh admin API key for `userId` (null: any user, as an "All users" key). */
  issueApiKey(userId: number | null, description = 'simulator'): string {
    const key = randomBytes(32).toString('hex');
    this.apiKeys.set(key, { key, user_id: userId, description, revoked_at: null });
    return key;
  }
}
