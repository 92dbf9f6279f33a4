// The Discourse REST API the sync uses, as documented in the official OpenAPI document
// (https://docs.discourse.org; discourse/discourse_api_docs openapi.json) and served by
// discourse/discourse's controllers (UsersController, GroupsController, Admin::GroupsController,
// Admin::BadgesController, UserBadgesController, CategoriesController, PostsController,
// TopicsController, Admin::UsersController). `.json` suffixes are optional, as in Rails.
import { Router, type NextFunction, type Request, type Response } from 'express';
import * as m from '../mutations.js';
import { DiscourseError, invalidParameters, missingParameter, notFound } from '../mutations.js';
import type { DiscourseState, DiscourseUser } from '../state.js';
import { caller, invalidAccess, requireAdmin, requireUser } from './auth.js';
import * as s from './serializers.js';

type Handler = (req: Request, res: Response) => unknown;

/** Runs a handler: its value is the JSON answer; a thrown DiscourseError its error answer. */
export function h(fn: Handler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      const out = fn(req, res);
      if (!res.headersSent && out !== undefined) res.json(out);
    } catch (err) {
      next(err);
    }
  };
}

/** Express error handler answering Discourse's error bodies (render_json_error). */
export function discourseErrors() {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (!(err instanceof DiscourseError)) return next(err);
    if (err.status === 429) {
      const wait = String(err.extras?.wait_seconds ?? 60);
      res.set('Retry-After', wait);
      const code = (err as DiscourseError & { code?: string }).code;
      if (code) res.set('Discourse-Rate-Limit-Error-Code', code);
    }
    res.status(err.status).json(err.body());
  };
}

function param(req: Request, name: string): unknown {
  const b = (req.body ?? {}) as Record<string, unknown>;
  return b[name] ?? (req.query as Record<string, unknown>)[name];
}

function str(req: Request, name: string): string | undefined {
  const v = param(req, name);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function requireStr(req: Request, name: string): string {
  const v = str(req, name);
  if (v === undefined || v === '') throw missingParameter(name);
  return v;
}

function optInt(req: Request, name: string): number | undefined {
  const v = str(req, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidParameters(name);
  return Number(v);
}

function id(req: Request, name = 'id'): number {
  const v = req.params[name];
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw notFound();
  return Number(v);
}

/** "a,b" or ["a","b"] usernames, as GroupsController reads them; none is a missing parameter. */
function usernames(req: Request): string[] {
  const v = param(req, 'usernames');
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [];
  const names = list.map((x) => x.trim()).filter(Boolean);
  if (names.length === 0) throw missingParameter('usernames');
  return names;
}

function userOr404(state: DiscourseState, username: string): DiscourseUser {
  const u = state.userByUsername(username);
  if (!u) throw notFound();
  return u;
}

/**
 * The signed-in caller and the live (not deleted) post or topic the path's id names, when the
 * caller may change it: staff any, others their own (Guardian#can_edit_post?); else 404 or 403.
 */
function changeableByCaller<T extends { user_id: number; deleted_at: string | null }>(
  map: Map<number, T>,
  req: Request,
  res: Response,
): { me: DiscourseUser; found: T } {
  const me = requireUser(res);
  const found = map.get(id(req));
  if (!found || found.deleted_at) throw notFound();
  if (!me.admin && !me.moderator && found.user_id !== me.id) throw invalidAccess();
  return { me, found };
}

export function createRestRouter(state: DiscourseState): Router {
  const r = Router();

  // Users: https://docs.discourse.org/#tag/Users
  const showUser = (u: DiscourseUser) => ({ user_badges: [], user: s.userDetail(state, u) });
  r.get(
    '/u/by-external/:external_id',
    h((req) => {
      const u = [...state.users.values()].find((x) => x.external_id === req.params.external_id);
      if (!u) throw notFound();
      return showUser(u);
    }),
  );
  r.get(
    '/u/:username',
    h((req) => showUser(userOr404(state, String(req.params.username)))),
  );
  r.put(
    '/u/:username',
    h((req, res) => {
      const me = requireUser(res);
      const u = userOr404(state, String(req.params.username));
      if (!me.admin && me.id !== u.id) throw invalidAccess();
      const ext = param(req, 'external_ids');
      const custom = editableCustomFields(
        state,
        param(req, 'custom_fields'),
        me.admin || me.moderator,
      );
      if (custom) u.custom_fields = { ...u.custom_fields, ...custom };
      m.updateUser(state, u.id, {
        name: str(req, 'name'),
        title: str(req, 'title'),
        bio_raw: str(req, 'bio_raw'),
        location: str(req, 'location'),
        website: str(req, 'website'),
        external_id:
          ext && typeof ext === 'object' && 'discourse_connect' in ext
            ? String((ext as Record<string, unknown>).discourse_connect)
            : undefined,
      });
      return { success: 'OK', user: {} };
    }),
  );
  r.get(
    '/session/current',
    h((_req, res) => {
      const me = requireUser(res);
      return { current_user: { ...s.basicUser(me), admin: me.admin, moderator: me.moderator } };
    }),
  );

  // Admin user lists, the reconciliation walk: https://docs.discourse.org/#tag/Admin/operation/adminListUsersFlag
  r.get(
    '/admin/users/list/:flag',
    h((req, res) => {
      requireAdmin(res);
      const flag = String(req.params.flag);
      const filters: Record<string, (u: DiscourseUser) => boolean> = {
        active: (u) => u.active,
        new: (u) => u.trust_level === 0,
        staff: (u) => u.admin || u.moderator,
        suspended: () => false,
        blocked: () => false,
        suspect: () => false,
      };
      const flagged = filters[flag];
      if (!flagged) throw notFound();
      // `email`: "Filter to the user with this email address", an exact match without case of
      // any of the user's addresses (user_emails, primary and secondary).
      const email = str(req, 'email')?.trim().toLowerCase();
      const emailsOf = (u: DiscourseUser) => [u.email, ...(u.secondary_emails ?? [])];
      const filter = (u: DiscourseUser) =>
        flagged(u) && (!email || emailsOf(u).some((e) => e.toLowerCase() === email));
      // AdminUserIndexQuery: 100 a page, newest first unless `order`/`asc` say otherwise.
      const order = str(req, 'order') ?? 'created';
      const asc = str(req, 'asc') === 'true';
      const keys: Record<string, (u: DiscourseUser) => string | number> = {
        created: (u) => u.created_at,
        username: (u) => u.username.toLowerCase(),
        email: (u) => u.email,
        trust_level: (u) => u.trust_level,
        seen: (u) => u.last_seen_at ?? '',
      };
      const key = keys[order] ?? keys.created!;
      const page = Math.max(1, optInt(req, 'page') ?? 1);
      const users = state.list(state.users, filter).sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = x < y ? -1 : x > y ? 1 : a.id - b.id;
        return asc ? c : -c;
      });
      const showEmails = str(req, 'show_emails') === 'true';
      const now = state.now().getTime();
      return users.slice((page - 1) * 100, page * 100).map((u) => ({
        ...s.adminUserListItem(u, showEmails, now),
        ...(showEmails ? { secondary_emails: u.secondary_emails ?? [] } : {}),
      }));
    }),
  );

  // Groups: https://docs.discourse.org/#tag/Groups
  r.get(
    '/groups/:name',
    h((req, res) => {
      const g = state.groupByName(String(req.params.name));
      if (!g) throw notFound();
      return {
        group: s.groupDetail(state, g, caller(res)?.user),
        extras: { visible_group_names: [...state.groups.values()].map((x) => x.name) },
      };
    }),
  );
  r.put(
    '/groups/:id/members',
    h((req, res) => {
      requireAdmin(res);
      const names = usernames(req);
      const { added } = m.addGroupMembers(state, id(req), names);
      return { success: 'OK', usernames: added.map((u) => u.username), emails: [] };
    }),
  );
  r.delete(
    '/groups/:id/members',
    h((req, res) => {
      requireAdmin(res);
      const names = usernames(req);
      const { removed, skipped } = m.removeGroupMembers(state, id(req), names);
      return { success: 'OK', usernames: removed, skipped_usernames: skipped };
    }),
  );
  r.post(
    '/admin/groups',
    h((req, res) => {
      requireAdmin(res);
      const g = (param(req, 'group') ?? {}) as Record<string, unknown>;
      if (typeof g.name !== 'string' || !g.name) throw missingParameter('group');
      const group = m.createGroup(state, {
        name: g.name,
        full_name: typeof g.full_name === 'string' ? g.full_name : null,
        bio_raw: typeof g.bio_raw === 'string' ? g.bio_raw : null,
        visibility_level: g.visibility_level === undefined ? undefined : Number(g.visibility_level),
        usernames: typeof g.usernames === 'string' ? g.usernames.split(',').filter(Boolean) : [],
      });
      return { basic_group: s.basicGroup(state, group) };
    }),
  );

  // Badges: https://docs.discourse.org/#tag/Badges
  r.get(
    '/admin/badges',
    h((_req, res) => {
      requireAdmin(res);
      const badges = state.list(state.badges);
      return {
        badges: badges.map((b) => s.adminBadge(state, b)),
        badge_types: s.BADGE_TYPES,
        badge_groupings: s.BADGE_GROUPINGS,
        admin_badges: {
          protected_system_fields: [],
          triggers: s.BADGE_TRIGGERS,
          badge_ids: badges.map((b) => b.id),
          badge_grouping_ids: s.BADGE_GROUPINGS.map((g) => g.id),
          badge_type_ids: s.BADGE_TYPES.map((t) => t.id),
        },
      };
    }),
  );
  r.post(
    '/admin/badges',
    h((req, res) => {
      requireAdmin(res);
      const b = m.createBadge(state, {
        name: requireStr(req, 'name'),
        badge_type_id: optInt(req, 'badge_type_id') ?? 0,
        description: str(req, 'description'),
        long_description: str(req, 'long_description'),
        icon: str(req, 'icon'),
        allow_title: str(req, 'allow_title') === 'true' || param(req, 'allow_title') === true,
        multiple_grant:
          str(req, 'multiple_grant') === 'true' || param(req, 'multiple_grant') === true,
        badge_grouping_id: optInt(req, 'badge_grouping_id'),
      });
      return { badge_types: s.BADGE_TYPES, badge: s.adminBadge(state, b) };
    }),
  );
  // UserBadgesController#create: a manual grant by username; `reason` must link a post or topic.
  r.post(
    '/user_badges',
    h((req, res) => {
      const me = requireAdmin(res);
      const user = userOr404(state, requireStr(req, 'username'));
      const badgeId = optInt(req, 'badge_id');
      const badge = badgeId === undefined ? undefined : state.badges.get(badgeId);
      if (!badge) throw notFound();
      const reason = str(req, 'reason');
      if (reason && !reasonLinksPostOrTopic(state, reason)) {
        throw new DiscourseError(400, [
          'Only existing discourse post or topic links are allowed as the reason',
        ]);
      }
      const ub = m.grantBadge(state, {
        badgeId: badge.id,
        userId: user.id,
        grantedById: me.id,
        reason: reason ?? null,
      });
      return {
        badges: [s.badge(state, badge)],
        users: [s.basicUser(user), s.basicUser(me)],
        user_badge: s.userBadge(ub, badge.badge_grouping_id),
      };
    }),
  );
  r.delete(
    '/user_badges/:id',
    h((req, res) => {
      requireAdmin(res);
      m.revokeBadge(state, id(req));
      return { success: 'OK' };
    }),
  );
  r.get(
    '/user-badges/:username',
    h((req) => {
      const user = userOr404(state, String(req.params.username));
      const ubs = state.list(state.userBadges, (ub) => ub.user_id === user.id);
      const badges = [...new Set(ubs.map((ub) => ub.badge_id))].map((bid) =>
        state.badges.get(bid)!,
      );
      const grantors = [...new Set(ubs.map((ub) => ub.granted_by_id))]
        .map((uid) => state.users.get(uid))
        .filter((u): u is DiscourseUser => u !== undefined);
      return {
        badges: badges.map((b) => s.badge(state, b)),
        badge_types: s.BADGE_TYPES,
        granted_bies: grantors.map((u) => ({
          ...s.basicUser(u),
          flair_name: null,
          admin: u.admin,
          moderator: u.moderator,
          trust_level: u.trust_level,
        })),
        user_badges: ubs.map((ub) =>
          s.userBadge(ub, state.badges.get(ub.badge_id)!.badge_grouping_id),
        ),
      };
    }),
  );

  // Categories: https://docs.discourse.org/#tag/Categories
  r.get(
    '/categories',
    h((_req, res) => ({
      category_list: {
        can_create_category: caller(res)?.user.admin ?? false,
        can_create_topic: caller(res) !== undefined,
        categories: state
          .list(state.categories, (c) => c.parent_category_id === null)
          .map((c) => s.category(state, c)),
      },
    })),
  );
  r.post(
    '/categories',
    h((req, res) => {
      requireAdmin(res);
      const perms = param(req, 'permissions');
      const c = m.createCategory(state, {
        name: requireStr(req, 'name'),
        slug: str(req, 'slug'),
        color: str(req, 'color'),
        text_color: str(req, 'text_color'),
        parent_category_id: optInt(req, 'parent_category_id') ?? null,
        permissions:
          perms && typeof perms === 'object'
            ? Object.fromEntries(
                Object.entries(perms as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
              )
            : undefined,
      });
      return { category: s.categoryDetail(state, c) };
    }),
  );

  // Posts and topics: https://docs.discourse.org/#tag/Posts, #tag/Topics
  r.post(
    '/posts',
    h((req, res) => {
      const me = requireUser(res);
      const raw = requireStr(req, 'raw');
      const topicId = optInt(req, 'topic_id');
      const post = m.createPost(state, {
        userId: me.id,
        raw,
        title: str(req, 'title') ?? '',
        topicId,
        categoryId: optInt(req, 'category'),
        replyToPostNumber: optInt(req, 'reply_to_post_number') ?? null,
        externalId: str(req, 'external_id') ?? null,
        createdAt: me.admin ? str(req, 'created_at') : undefined,
      });
      return s.createdPost(state, post, me);
    }),
  );
  r.get(
    '/posts',
    h((req, res) => {
      // PostsController#latest: the 50 newest posts (below `before`), newest first.
      const before = optInt(req, 'before');
      const posts = [...state.posts.values()]
        .filter((p) => !p.deleted_at && (before === undefined || p.id < before))
        .sort((a, b) => b.id - a.id)
        .slice(0, 50);
      return { latest_posts: posts.map((p) => s.latestPost(state, p, caller(res)?.user)) };
    }),
  );
  r.get(
    '/posts/:id',
    h((req, res) => {
      const p = state.posts.get(id(req));
      if (!p || p.deleted_at) throw notFound();
      return s.post(state, p, caller(res)?.user);
    }),
  );
  r.put(
    '/posts/:id',
    h((req, res) => {
      const { me, found: existing } = changeableByCaller(state.posts, req, res);
      const nested = (param(req, 'post') ?? {}) as Record<string, unknown>;
      const raw = typeof nested.raw === 'string' ? nested.raw : str(req, 'raw');
      if (raw === undefined) throw missingParameter('post');
      const p = m.editPost(state, existing.id, {
        raw,
        editReason: typeof nested.edit_reason === 'string' ? nested.edit_reason : undefined,
      });
      return { post: s.createdPost(state, p, me) };
    }),
  );
  r.delete(
    '/posts/:id',
    h((req, res) => {
      const { me, found: p } = changeableByCaller(state.posts, req, res);
      m.deletePost(state, p.id, me.id);
      res.status(200).end();
      return undefined;
    }),
  );
  const showTopic = (topicId: number, res: Response) => {
    const t = state.topics.get(topicId);
    if (!t || t.deleted_at) throw notFound();
    return s.topicView(state, t, caller(res)?.user);
  };
  r.get(
    '/t/:slug/:id',
    h((req, res) => showTopic(id(req), res)),
  );
  r.get(
    '/t/:id',
    h((req, res) => showTopic(id(req), res)),
  );
  r.put(
    '/t/-/:id',
    h((req, res) => {
      const { found: t } = changeableByCaller(state.topics, req, res);
      const first = state.postsOf(t.id)[0]!;
      m.editPost(state, first.id, {
        title: str(req, 'title'),
        categoryId: optInt(req, 'category_id'),
      });
      return {
        basic_topic: {
          id: t.id,
          title: t.title,
          fancy_title: t.title,
          slug: t.slug,
          posts_count: state.postsOf(t.id).length,
        },
      };
    }),
  );
  return r;
}

/** A reason is valid when it links a post or topic of this site (/t/slug/id[/n] or /p/id). */
function reasonLinksPostOrTopic(state: DiscourseState, reason: string): boolean {
  const t = reason.match(/\/t\/(?:[^/\s]+\/)?(\d+)(?:\/\d+)?/);
  if (t && state.topics.has(Number(t[1]))) return true;
  const p = reason.match(/\/p\/(\d+)/);
  return Boolean(p && state.posts.has(Number(p[1])));
}

/**
 * The custom fields of a PUT /u/:username that a plugin registered as editable (by staff, or by
 * anyone): User.editable_user_custom_fields; the rest are dropped without an error, as there.
 */
function editableCustomFields(
  state: DiscourseState,
  fields: unknown,
  byStaff: boolean,
): Record<string, string> | undefined {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  const { self, staff } = state.editableUserCustomFields;
  const kept = Object.entries(fields as Record<string, unknown>).filter(
    ([name, value]) =>
      (self.has(name) || (byStaff && staff.has(name))) &&
      (typeof value === 'string' || typeof value === 'number'),
  );
  return kept.length ? Object.fromEntries(kept.map(([k, v]) => [k, String(v)])) : undefined;
}
