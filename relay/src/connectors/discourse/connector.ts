import type { DeliveryItem, DeliveryOutcome, ItemLinks, Side } from '@cds/shared';
import type { LinkNeed } from '../../links/needs.js';
import type { Connector, Delivery, OutboundMapping } from '../connector.js';
import {
  SYNC_STATE_FIELD,
  discourseMapping,
  type BadgeSpec,
  type DiscourseWrite,
} from './mapping.js';
import {
  DiscourseRest,
  isDiscourseRefusal,
  type DiscourseRestOptions,
  type Trace,
} from './rest.js';

export interface DiscourseConnectorOptions extends DiscourseRestOptions {
  /** @defaultValue 'discourse' */
  name?: string;
  /** How long a found badge id is remembered. @defaultValue 300_000 */
  cacheMs?: number;
}

/** Discourse's default max_username_length, which group names share (UsernameValidator). */
const MAX_GROUP_NAME = 20;

/** A new course group's name: `course-<id>`, or `c-<id>` when a long (sharded) id would not fit. */
export function courseGroupName(courseId: string): string {
  const name = `course-${courseId}`;
  return name.length <= MAX_GROUP_NAME ? name : `c-${courseId}`;
}

class Cache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(private readonly ms: number) {}
  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: V): void {
    // Bounded: the oldest entry goes first.
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: Date.now() + this.ms });
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** An event refused for good inside `apply`, with the reason Discourse or the mapping gave. */
class Refused extends Error {}

/**
 * Applies Canvas-originated events to Discourse through its REST API (DESIGN.md sections 3, 5b):
 * certificates, completions, passed quizzes and Canvas badges become badge grants (each badge
 * created once, found again by name); enrollments course group membership; grades and
 * submissions the user's sync state (the `cds_sync_state` user custom field, which the plugin
 * registers and shows). Every write is idempotent, so a retried delivery changes nothing twice.
 */
export class DiscourseConnector implements Connector {
  readonly name: string;
  readonly side: Side = 'discourse';
  readonly mapping: OutboundMapping<DiscourseWrite> = discourseMapping;
  private readonly rest: DiscourseRest;
  private readonly badges: Cache<number>;

  constructor(options: DiscourseConnectorOptions) {
    this.name = options.name ?? 'discourse';
    this.rest = new DiscourseRest({ ...options, name: this.name });
    this.badges = new Cache(options.cacheMs ?? 300_000);
  }

  /** Every write names a Canvas user (their Discourse account); memberships also a course group. */
  needs(item: DeliveryItem): LinkNeed[] {
    const write = this.mapping.toTarget(item);
    if (write.kind === 'none' || write.kind === 'refuse') return [];
    const user: LinkNeed = { kind: 'user', canvasUserId: write.user };
    return write.kind === 'membership'
      ? [{ kind: 'course', courseId: write.course.id }, user]
      : [user];
  }

  /** Applies the items in order; one refused item does not stop the others, a TargetError does. */
  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const refused = new Map<string, string>();
    for (const item of delivery.items) {
      if (refused.has(item.eventId)) continue;
      const trace = { deliveryId: delivery.id, eventId: item.eventId };
      try {
        await this.apply(this.mapping.toTarget(item), item.links ?? {}, trace);
      } catch (error) {
        if (error instanceof Refused) refused.set(item.eventId, error.message);
        else if (isDiscourseRefusal(error)) refused.set(item.eventId, error.errors);
        else throw error;
      }
    }
    return { refused };
  }

  private async apply(write: DiscourseWrite, links: ItemLinks, trace: Trace): Promise<void> {
    switch (write.kind) {
      case 'none':
        return;
      case 'refuse':
        throw new Refused(write.reason);
      case 'badge':
        return this.badge(username(links, write.user), write.badge, write.granted, trace);
      case 'membership':
        return this.membership(
          username(links, write.user),
          group(links, write.course.id),
          write.member,
          trace,
        );
      case 'sync_state':
        // https://docs.discourse.org/#tag/Users/operation/updateUser: custom fields the plugin
        // registers (register_editable_user_custom_field, staff_only) are taken from an admin.
        await this.rest.request(
          'PUT',
          `/u/${encodeURIComponent(username(links, write.user))}.json`,
          { custom_fields: { [SYNC_STATE_FIELD]: JSON.stringify(write.state) } },
          trace,
        );
        return;
      case 'name':
        await this.rest.request(
          'PUT',
          `/u/${encodeURIComponent(username(links, write.user))}.json`,
          { name: write.name },
          trace,
        );
        return;
    }
  }

  /**
   * Grants (or revokes) the badge. A badge without multiple_grant is granted once by Discourse
   * (BadgeGranter.grant answers the existing grant), so a repeated grant changes nothing. No
   * `reason`: Discourse takes only a link to one of its own posts or topics there
   * (UserBadgesController#create, invalid_grant_badge_reason_link), and a certificate is neither.
   * https://docs.discourse.org/#tag/Badges/operation/createUserBadge
   */
  private async badge(username: string, spec: BadgeSpec, granted: boolean, trace: Trace) {
    const badgeId = await this.badgeId(spec, trace);
    if (granted) {
      try {
        await this.rest.request(
          'POST',
          '/user_badges.json',
          { username, badge_id: badgeId },
          trace,
        );
      } catch (error) {
        // The badge was deleted in Discourse since it was found: find or create it next time.
        if (isDiscourseRefusal(error) && error.status === 404) this.badges.delete(spec.name);
        throw error;
      }
      return;
    }
    // https://docs.discourse.org/#tag/Badges/operation/listUserBadges, then DELETE /user_badges/:id
    const list = (await this.rest.request(
      'GET',
      `/user-badges/${encodeURIComponent(username)}.json`,
    )) as { user_badges?: Array<{ id?: unknown; badge_id?: unknown }> };
    for (const ub of list.user_badges ?? []) {
      if (ub.badge_id !== badgeId || typeof ub.id !== 'number') continue;
      try {
        await this.rest.request('DELETE', `/user_badges/${ub.id}.json`, undefined, trace);
      } catch (error) {
        if (!(isDiscourseRefusal(error) && error.status === 404)) throw error;
      }
    }
  }

  /** The badge's id: found by name in the admin list, or created once (name is unique). */
  private async badgeId(spec: BadgeSpec, trace: Trace): Promise<number> {
    const cached = this.badges.get(spec.name);
    if (cached !== undefined) return cached;
    const found = await this.findBadge(spec.name);
    if (found !== undefined) return found;
    try {
      // https://docs.discourse.org/#tag/Badges/operation/createBadge
      const created = (await this.rest.request(
        'POST',
        '/admin/badges.json',
        {
          name: spec.name,
          description: spec.description,
          badge_type_id: spec.badgeTypeId,
          multiple_grant: false,
          allow_title: false,
        },
        trace,
      )) as { badge?: { id?: unknown } };
      if (typeof created.badge?.id === 'number') {
        this.badges.set(spec.name, created.badge.id);
        return created.badge.id;
      }
    } catch (error) {
      // Another worker created it meanwhile ("Name has already been taken"): find it.
      if (!(isDiscourseRefusal(error) && error.status === 422)) throw error;
    }
    const again = await this.findBadge(spec.name);
    if (again === undefined) throw new Refused(`the badge "${spec.name}" could not be created`);
    return again;
  }

  /** https://docs.discourse.org/#tag/Badges/operation/adminListBadges; remembers every name. */
  private async findBadge(name: string): Promise<number | undefined> {
    const list = (await this.rest.request('GET', '/admin/badges.json')) as {
      badges?: Array<{ id?: unknown; name?: unknown }>;
    };
    let hit: number | undefined;
    for (const b of list.badges ?? []) {
      if (typeof b.id !== 'number' || typeof b.name !== 'string') continue;
      this.badges.set(b.name, b.id);
      if (b.name.toLowerCase() === name.toLowerCase()) hit = b.id;
    }
    return hit;
  }

  /**
   * Adds the user to (or removes them from) the course's group (the course link's).
   * https://docs.discourse.org/#tag/Groups/operation/addGroupMembers and removeGroupMembers
   */
  private async membership(
    username: string,
    groupId: number,
    member: boolean,
    trace: Trace,
  ): Promise<void> {
    const path = `/groups/${groupId}/members.json`;
    try {
      await this.rest.request(member ? 'PUT' : 'DELETE', path, { usernames: username }, trace);
    } catch (error) {
      // GroupsController#add_members answers 422 when everyone named is already a member.
      if (member && isDiscourseRefusal(error) && /already a member/i.test(error.errors)) return;
      if (isDiscourseRefusal(error) && error.status === 404)
        throw new Refused(
          `the course's group ${groupId} is not in Discourse any more: link the course again`,
        );
      throw error;
    }
  }
}

/** The Discourse account the relay linked to this Canvas user (`needs` made sure it exists). */
function username(links: ItemLinks, canvasUserId: string): string {
  if (links.user?.canvas_user_id !== canvasUserId)
    throw new Refused(`Canvas user ${canvasUserId} is not linked to a Discourse account`);
  return links.user.discourse_username;
}

/** The group of the course's link. */
function group(links: ItemLinks, courseId: string): number {
  if (links.course?.course_id !== courseId)
    throw new Refused(`Canvas course ${courseId} is not linked to a Discourse group`);
  return links.course.group_id;
}
