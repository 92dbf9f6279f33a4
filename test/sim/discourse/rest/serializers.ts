// JSON as Discourse serializes it, shaped after the response schemas of the official OpenAPI
// document (https://docs.discourse.org, github.com/discourse/discourse_api_docs openapi.json) and
// the serializers they come from (app/serializers/*_serializer.rb in discourse/discourse). Fields
// the simulator has no data for carry Discourse's defaults for a fresh site.
import type {
  DiscourseBadge,
  DiscourseCategory,
  DiscourseGroup,
  DiscoursePost,
  DiscourseState,
  DiscourseTopic,
  DiscourseUser,
  DiscourseUserBadge,
} from '../state.js';

type Json = Record<string, unknown>;

/** Slug.for (lib/slug.rb, ascii mode): lowercase words joined by dashes; "topic" when empty. */
export function slugFor(text: string, fallback = 'topic'): string {
  const s = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || fallback;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stand-in for PrettyText.cook: one <p> per paragraph. */
export function cook(raw: string): string {
  return raw
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>\n')}</p>`)
    .join('\n');
}

/** Excerpt as PostSerializer's (plain text, 300 characters then an ellipsis). */
export function excerpt(raw: string, max = 300): { excerpt: string; truncated: boolean } {
  const text = raw.replace(/\s+/g, ' ').trim();
  return text.length > max
    ? { excerpt: `${escapeHtml(text.slice(0, max))}&hellip;`, truncated: true }
    : { excerpt: escapeHtml(text), truncated: false };
}

export function avatarTemplate(u: DiscourseUser): string {
  return `/letter_avatar_proxy/v4/letter/${u.username[0]!.toLowerCase()}/8e7dd6/{size}.png`;
}

/** BasicUserSerializer. */
export function basicUser(u: DiscourseUser): Json {
  return { id: u.id, username: u.username, name: u.name, avatar_template: avatarTemplate(u) };
}

/** BasicGroupSerializer (POST /admin/groups.json `basic_group`, GET /u/:username `groups[]`). */
export function basicGroup(state: DiscourseState, g: DiscourseGroup): Json {
  return {
    id: g.id,
    automatic: g.automatic,
    name: g.name,
    display_name: g.name,
    user_count: state.membersOf(g.id).length,
    mentionable_level: 0,
    messageable_level: 0,
    visibility_level: g.visibility_level,
    primary_group: g.primary_group,
    title: null,
    grant_trust_level: null,
    incoming_email: null,
    has_messages: false,
    flair_url: null,
    flair_bg_color: null,
    flair_color: null,
    bio_raw: g.bio_raw,
    bio_cooked: g.bio_raw === null ? null : cook(g.bio_raw),
    bio_excerpt: g.bio_raw === null ? null : excerpt(g.bio_raw).excerpt,
    public_admission: g.public_admission,
    public_exit: g.public_exit,
    allow_membership_requests: false,
    full_name: g.full_name,
    default_notification_level: g.default_notification_level,
    membership_request_template: null,
    members_visibility_level: g.members_visibility_level,
    can_see_members: true,
    can_admin_group: true,
    can_edit_group: true,
    publish_read_state: false,
  };
}

/** GroupShowSerializer (GET /groups/:name.json `group`), for an admin caller. */
export function groupDetail(
  state: DiscourseState,
  g: DiscourseGroup,
  viewer?: DiscourseUser,
): Json {
  const isMember = viewer
    ? state.groupMembers.some((m) => m.group_id === g.id && m.user_id === viewer.id)
    : false;
  const { display_name: _display, ...basic } = basicGroup(state, g);
  return {
    ...basic,
    is_group_user: isMember,
    is_group_owner_display: false,
    mentionable: false,
    messageable: false,
    automatic_membership_email_domains: null,
    smtp_server: null,
    smtp_port: null,
    smtp_ssl_mode: null,
    email_username: null,
    email_password: null,
    message_count: 0,
    allow_unknown_sender_topic_replies: false,
    associated_group_ids: [],
    watching_category_ids: [],
    tracking_category_ids: [],
    watching_first_post_category_ids: [],
    regular_category_ids: [],
    muted_category_ids: [],
  };
}

function userOption(u: DiscourseUser): Json {
  return {
    user_id: u.id,
    mailing_list_mode: false,
    mailing_list_mode_frequency: 1,
    email_digests: true,
    email_level: 1,
    email_messages_level: 0,
    external_links_in_new_tab: false,
    color_scheme_id: null,
    dark_scheme_id: null,
    dynamic_favicon: false,
    enable_quoting: true,
    enable_smart_lists: true,
    enable_markdown_monospace_font: false,
    digest_after_minutes: 10080,
    automatically_unpin_topics: true,
    auto_track_topics_after_msecs: 240000,
    notification_level_when_replying: 2,
    new_topic_duration_minutes: 2880,
    email_previous_replies: 2,
    email_in_reply_to: false,
    like_notification_frequency: 1,
    notify_on_linked_posts: true,
    push_notification_level: 'always',
    enable_upcoming_change_available_notifications: false,
    include_tl0_in_digests: false,
    theme_ids: [],
    theme_key_seq: 0,
    allow_private_messages: true,
    enable_allowed_pm_users: false,
    homepage_id: null,
    hide_profile_and_presence: false,
    hide_profile: false,
    hide_presence: false,
    text_size: 'normal',
    text_size_seq: 0,
    title_count_mode: 'notifications',
    timezone: null,
    skip_new_user_tips: false,
    topics_unread_when_closed: true,
    interface_color_mode: 1,
    automatically_translate: false,
    understood_languages: [],
    show_original_content: false,
    send_shortcut: 'ctrl_enter',
  };
}

function schedule(): Json {
  const s: Json = { enabled: false };
  for (let d = 0; d < 7; d++) {
    s[`day_${d}_start_time`] = 480;
    s[`day_${d}_end_time`] = 1020;
  }
  return s;
}

function counts(state: DiscourseState, u: DiscourseUser) {
  const posts = [...state.posts.values()].filter((p) => p.user_id === u.id && !p.deleted_at);
  const topics = [...state.topics.values()].filter((t) => t.user_id === u.id && !t.deleted_at);
  return { post_count: posts.length, topic_count: topics.length };
}

/** UserSerializer as GET /u/:username.json sends it to an admin (`user`). */
export function userDetail(state: DiscourseState, u: DiscourseUser): Json {
  const groups = state.groupsOf(u.id);
  const badgeCount = [...state.userBadges.values()].filter((b) => b.user_id === u.id).length;
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    avatar_template: avatarTemplate(u),
    email: u.email,
    secondary_emails: [],
    unconfirmed_emails: [],
    last_posted_at: u.last_posted_at,
    last_seen_at: u.last_seen_at,
    created_at: u.created_at,
    ignored: false,
    muted: false,
    can_ignore_user: false,
    can_mute_user: false,
    can_send_private_messages: true,
    can_send_private_message_to_user: true,
    trust_level: u.trust_level,
    moderator: u.moderator,
    admin: u.admin,
    title: u.title,
    badge_count: badgeCount,
    custom_fields: {},
    time_read: 0,
    recent_time_read: 0,
    primary_group_id: null,
    primary_group_name: null,
    flair_group_id: null,
    flair_name: null,
    flair_url: null,
    flair_bg_color: null,
    flair_color: null,
    featured_topic: null,
    bio_raw: u.bio_raw,
    bio_cooked: cook(u.bio_raw),
    location: u.location,
    website: u.website,
    staged: u.staged,
    can_edit: true,
    can_edit_username: true,
    can_edit_email: true,
    can_edit_name: true,
    uploaded_avatar_id: null,
    has_title_badges: false,
    pending_count: 0,
    pending_posts_count: 0,
    profile_view_count: 0,
    second_factor_enabled: false,
    can_upload_profile_header: true,
    can_upload_user_card_background: true,
    ...counts(state, u),
    can_be_deleted: true,
    can_delete_all_posts: true,
    locale: null,
    muted_category_ids: [],
    regular_category_ids: [],
    watched_tags: [],
    watching_first_post_tags: [],
    tracked_tags: [],
    muted_tags: [],
    tracked_category_ids: [],
    watched_category_ids: [],
    watched_first_post_category_ids: [],
    system_avatar_upload_id: null,
    system_avatar_template: avatarTemplate(u),
    muted_usernames: [],
    ignored_usernames: [],
    allowed_pm_usernames: [],
    mailing_list_posts_per_day: 0,
    can_change_bio: true,
    can_change_location: true,
    can_change_website: true,
    can_change_tracking_preferences: true,
    user_api_keys: null,
    user_auth_tokens: [],
    user_notification_schedule: schedule(),
    use_logo_small_as_avatar: false,
    featured_user_badge_ids: [],
    invited_by: null,
    groups: groups.map((g) => basicGroup(state, g)),
    group_users: state.groupMembers
      .filter((m) => m.user_id === u.id)
      .map((m) => ({
        group_id: m.group_id,
        user_id: m.user_id,
        notification_level: 3,
        owner: m.owner,
      })),
    user_option: userOption(u),
  };
}

/** AdminUserListSerializer (GET /admin/users/list/:flag.json items). */
export function adminUserListItem(u: DiscourseUser, showEmails: boolean, nowMs: number): Json {
  const age = (iso: string | null) => (iso ? (nowMs - Date.parse(iso)) / 1000 : null);
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    avatar_template: avatarTemplate(u),
    ...(showEmails ? { email: u.email, secondary_emails: [] } : {}),
    active: u.active,
    admin: u.admin,
    moderator: u.moderator,
    last_seen_at: u.last_seen_at,
    last_emailed_at: null,
    created_at: u.created_at,
    last_seen_age: age(u.last_seen_at),
    last_emailed_age: null,
    created_at_age: age(u.created_at),
    trust_level: u.trust_level,
    manual_locked_trust_level: null,
    title: u.title,
    time_read: 0,
    staged: u.staged,
    days_visited: 0,
    posts_read_count: 0,
    topics_entered: 0,
    post_count: 0,
  };
}

/** BadgeTypes (lib BadgeType): Gold 1, Silver 2, Bronze 3. */
export const BADGE_TYPES = [
  { id: 1, name: 'Gold', sort_order: 9 },
  { id: 2, name: 'Silver', sort_order: 8 },
  { id: 3, name: 'Bronze', sort_order: 7 },
];

export const BADGE_GROUPINGS = [
  { id: 1, name: 'Getting Started', description: null, position: 10, system: true },
  { id: 2, name: 'Community', description: null, position: 11, system: true },
  { id: 3, name: 'Posting', description: null, position: 12, system: true },
  { id: 4, name: 'Trust Level', description: null, position: 13, system: true },
  { id: 5, name: 'Other', description: null, position: 14, system: true },
];

/** Badge.trigger values (app/models/badge.rb Trigger). */
export const BADGE_TRIGGERS = {
  none: 0,
  post_action: 1,
  post_revision: 2,
  trust_level_change: 4,
  user_change: 8,
};

function grantCount(state: DiscourseState, b: DiscourseBadge): number {
  return [...state.userBadges.values()].filter((ub) => ub.badge_id === b.id).length;
}

/** BadgeSerializer (the public fields: GET /user-badges/:username.json `badges[]`). */
export function badge(state: DiscourseState, b: DiscourseBadge): Json {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    grant_count: grantCount(state, b),
    allow_title: b.allow_title,
    multiple_grant: b.multiple_grant,
    icon: b.icon,
    image_url: null,
    listable: b.listable,
    enabled: b.enabled,
    badge_grouping_id: b.badge_grouping_id,
    system: b.system,
    slug: slugFor(b.name, 'badge'),
    manually_grantable: b.manually_grantable,
    badge_type_id: b.badge_type_id,
  };
}

/** AdminBadgeSerializer (GET/POST /admin/badges.json). */
export function adminBadge(state: DiscourseState, b: DiscourseBadge): Json {
  return {
    ...badge(state, b),
    long_description: b.long_description,
    query: b.query,
    trigger: b.trigger,
    target_posts: b.target_posts,
    auto_revoke: b.auto_revoke,
    show_posts: b.show_posts,
    i18n_name: null,
    image_upload_id: b.image_upload_id,
    show_in_post_header: b.show_in_post_header,
  };
}

/** UserBadgeSerializer's own fields (user_badges[] of /user-badges and the webhook payload). */
export function userBadge(ub: DiscourseUserBadge, groupingPosition = 0): Json {
  return {
    id: ub.id,
    granted_at: ub.granted_at,
    created_at: ub.created_at,
    count: 1,
    post_id: ub.post_id,
    post_number: null,
    grouping_position: groupingPosition,
    is_favorite: null,
    can_favorite: false,
    badge_id: ub.badge_id,
    user_id: ub.user_id,
    granted_by_id: ub.granted_by_id,
  };
}

/** CategorySerializer (POST /categories.json `category`, the list's items are a subset). */
export function category(state: DiscourseState, c: DiscourseCategory): Json {
  const topics = [...state.topics.values()].filter((t) => t.category_id === c.id && !t.deleted_at);
  const postCount = [...state.posts.values()].filter(
    (p) => !p.deleted_at && topics.some((t) => t.id === p.topic_id),
  ).length;
  const children = state.list(state.categories, (x) => x.parent_category_id === c.id);
  return {
    id: c.id,
    name: c.name,
    color: c.color,
    text_color: c.text_color,
    style_type: 'square',
    emoji: null,
    icon: null,
    slug: c.slug,
    topic_count: topics.length,
    post_count: postCount,
    position: c.position,
    description: c.description,
    description_text: c.description,
    description_excerpt: c.description,
    topic_url: null,
    read_restricted: c.read_restricted,
    permission: 1,
    notification_level: 1,
    can_edit: true,
    topic_template: null,
    topic_title_placeholder: null,
    has_children: children.length > 0,
    subcategory_count: children.length || null,
    sort_order: null,
    sort_ascending: null,
    show_subcategory_list: false,
    num_featured_topics: 3,
    default_view: null,
    subcategory_list_style: 'rows_with_featured_topics',
    default_top_period: 'all',
    default_list_filter: 'all',
    minimum_required_tags: 0,
    navigate_to_first_post_after_read: false,
    topics_day: 0,
    topics_week: topics.length,
    topics_month: topics.length,
    topics_year: topics.length,
    topics_all_time: topics.length,
    subcategory_ids: children.map((x) => x.id),
    parent_category_id: c.parent_category_id ?? undefined,
    uploaded_logo: null,
    uploaded_logo_dark: null,
    uploaded_background: null,
    uploaded_background_dark: null,
  };
}

/** CategorySerializer's detail fields (POST /categories.json). */
export function categoryDetail(state: DiscourseState, c: DiscourseCategory): Json {
  return {
    ...category(state, c),
    custom_fields: {},
    required_tag_groups: [],
    read_only_banner: null,
    available_groups: [...state.groups.values()].map((g) => g.name),
    auto_close_hours: null,
    auto_close_based_on_last_post: false,
    allow_unlimited_owner_edits_on_first_post: false,
    default_slow_mode_seconds: null,
    group_permissions: Object.entries(c.permissions).map(([group_name, permission_type]) => ({
      permission_type,
      group_name,
      group_id: group_name === 'everyone' ? 0 : (groupIdByName(state, group_name) ?? 0),
    })),
    email_in: null,
    email_in_allow_strangers: false,
    mailinglist_mirror: false,
    all_topics_wiki: false,
    can_delete: true,
    allow_badges: true,
    topic_featured_link_allowed: true,
    search_priority: 0,
    topic_posting_review_group_ids: [],
    reply_posting_review_group_ids: [],
  };
}

function groupIdByName(state: DiscourseState, name: string): number | undefined {
  return state.groupByName(name)?.id;
}

/** PostSerializer's fields common to every post answer, as the post's author sees them. */
export function post(state: DiscourseState, p: DiscoursePost, viewer?: DiscourseUser): Json {
  const topic = state.topics.get(p.topic_id)!;
  const author = state.users.get(p.user_id)!;
  const replies = state
    .postsOf(p.topic_id)
    .filter((x) => x.reply_to_post_number === p.post_number && !x.deleted_at).length;
  return {
    id: p.id,
    name: author.name,
    username: author.username,
    avatar_template: avatarTemplate(author),
    created_at: p.created_at,
    cooked: p.cooked,
    post_number: p.post_number,
    post_type: p.post_type,
    posts_count: state.postsOf(p.topic_id).filter((x) => !x.deleted_at).length,
    updated_at: p.updated_at,
    reply_count: replies,
    reply_to_post_number: p.reply_to_post_number,
    quote_count: 0,
    incoming_link_count: 0,
    reads: 1,
    readers_count: 0,
    score: 0,
    yours: viewer?.id === author.id,
    topic_id: topic.id,
    topic_slug: topic.slug,
    display_username: author.name,
    primary_group_name: null,
    flair_name: null,
    flair_url: null,
    flair_bg_color: null,
    flair_color: null,
    flair_group_id: null,
    badges_granted: [],
    version: p.version,
    can_edit: true,
    can_delete: p.post_number !== 1,
    can_recover: p.deleted_at !== null,
    can_see_hidden_post: true,
    can_wiki: true,
    user_title: author.title,
    bookmarked: false,
    raw: p.raw,
    actions_summary: [],
    moderator: author.moderator,
    admin: author.admin,
    staff: author.admin || author.moderator,
    user_id: author.id,
    hidden: p.hidden,
    trust_level: author.trust_level,
    deleted_at: p.deleted_at,
    user_deleted: p.user_deleted,
    edit_reason: p.edit_reason,
    can_view_edit_history: true,
    wiki: p.wiki,
    reviewable_id: null,
    reviewable_score_count: 0,
    reviewable_score_pending_count: 0,
    post_url: `/t/${topic.slug}/${topic.id}/${p.post_number}`,
    mentioned_users: [],
  };
}

/** A post as POST /posts.json answers (the created post, with the draft sequence). */
export function createdPost(state: DiscourseState, p: DiscoursePost, viewer?: DiscourseUser) {
  return { ...post(state, p, viewer), draft_sequence: 0 };
}

/** A post of GET /posts.json `latest_posts`: adds the topic's title and category, an excerpt. */
export function latestPost(state: DiscourseState, p: DiscoursePost, viewer?: DiscourseUser) {
  const topic = state.topics.get(p.topic_id)!;
  return {
    ...post(state, p, viewer),
    topic_title: topic.title,
    topic_html_title: escapeHtml(topic.title),
    category_id: topic.category_id,
    ...excerpt(p.raw),
  };
}

/** TopicViewSerializer (GET /t/:id.json). */
export function topicView(state: DiscourseState, t: DiscourseTopic, viewer?: DiscourseUser): Json {
  const posts = state.postsOf(t.id).filter((p) => !p.deleted_at);
  const creator = state.users.get(t.user_id)!;
  const lastPoster = state.users.get(t.last_post_user_id) ?? creator;
  const participants = [...new Set(posts.map((p) => p.user_id))].map((id) => {
    const u = state.users.get(id)!;
    return {
      ...basicUser(u),
      post_count: posts.filter((p) => p.user_id === id).length,
      primary_group_name: null,
      flair_name: null,
      flair_url: null,
      flair_color: null,
      flair_bg_color: null,
      flair_group_id: null,
      admin: u.admin,
      moderator: u.moderator,
      trust_level: u.trust_level,
    };
  });
  return {
    post_stream: {
      posts: posts.map((p) => ({ ...post(state, p, viewer), link_counts: [], read: true })),
      stream: posts.map((p) => p.id),
    },
    timeline_lookup: [[1, 0]],
    suggested_topics: [],
    tags: [],
    tags_descriptions: {},
    id: t.id,
    title: t.title,
    fancy_title: escapeHtml(t.title),
    posts_count: posts.length,
    created_at: t.created_at,
    views: t.views,
    reply_count: Math.max(0, posts.length - 1),
    like_count: t.like_count,
    last_posted_at: t.last_posted_at,
    visible: t.visible,
    closed: t.closed,
    archived: t.archived,
    has_summary: false,
    archetype: t.archetype,
    slug: t.slug,
    category_id: t.category_id,
    word_count: posts.reduce((n, p) => n + p.raw.split(/\s+/).filter(Boolean).length, 0),
    deleted_at: t.deleted_at,
    user_id: t.user_id,
    featured_link: null,
    pinned_globally: false,
    pinned_at: null,
    pinned_until: null,
    image_url: null,
    slow_mode_seconds: 0,
    draft: null,
    draft_key: `topic_${t.id}`,
    draft_sequence: 0,
    unpinned: null,
    pinned: false,
    current_post_number: 1,
    highest_post_number: t.highest_post_number,
    deleted_by: null,
    has_deleted: state.postsOf(t.id).some((p) => p.deleted_at),
    actions_summary: [],
    chunk_size: 20,
    bookmarked: false,
    bookmarks: [],
    topic_timer: null,
    message_bus_last_id: 0,
    participant_count: participants.length,
    show_read_indicator: false,
    thumbnails: null,
    slow_mode_enabled_until: null,
    details: {
      can_edit: true,
      notification_level: 1,
      can_move_posts: true,
      can_delete: true,
      can_remove_allowed_users: true,
      can_create_post: true,
      can_reply_as_new_topic: true,
      can_invite_to: true,
      can_invite_via_email: true,
      can_flag_topic: false,
      can_convert_topic: true,
      can_review_topic: true,
      can_close_topic: true,
      can_archive_topic: true,
      can_split_merge_topic: true,
      can_edit_staff_notes: true,
      can_toggle_topic_visibility: true,
      can_pin_unpin_topic: true,
      can_banner_topic: true,
      can_moderate_category: true,
      can_remove_self_id: viewer?.id ?? creator.id,
      participants,
      created_by: basicUser(creator),
      last_poster: basicUser(lastPoster),
    },
  };
}
