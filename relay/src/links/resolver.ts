import {
  isCdsError,
  type CourseLink,
  type DeliveryItem,
  type ItemLinks,
  type UserLink,
} from '@cds/shared';
import type { Db } from '../store/common.js';
import { existingLink, getOptout, staleNeeds, touchWaits } from '../store/links.js';
import type { UserDiscovery } from './discovery.js';
import { needKey, parseNeed, pendingWords, type LinkNeed } from './needs.js';
import type { LinkService } from './service.js';

export interface LinkResolverOptions {
  db: Db;
  service: LinkService;
  /** Finds Discourse accounts by external id or e-mail. @defaultValue none: existing links only */
  discovery?: UserDiscovery;
  /** How long a Canvas user with no account found is not looked up again. @defaultValue 60_000 */
  missMs?: number;
}

/** An item that cannot go yet: the first link it lacks, and the status words saying so. */
export interface WaitingItem {
  item: DeliveryItem;
  need: string;
  reason: string;
}

type Found = { course: CourseLink } | { user: UserLink } | { missing: string };

/**
 * Gives each delivered item the links its target needs, or holds it back: never a guessed account,
 * never a course's event in another course's forum (DESIGN.md section 3b). A user without a link
 * is looked for in Discourse first; what is found becomes a link (audited, as `relay`).
 */
export class LinkResolver {
  private readonly misses = new Map<string, { why: string; until: number }>();
  private readonly missMs: number;

  constructor(private readonly options: LinkResolverOptions) {
    this.missMs = options.missMs ?? 60_000;
  }

  async resolve(
    items: readonly DeliveryItem[],
    needsOf: (item: DeliveryItem) => LinkNeed[],
  ): Promise<{ ready: DeliveryItem[]; waiting: WaitingItem[] }> {
    const found = new Map<string, Promise<Found>>();
    const ready: DeliveryItem[] = [];
    const waiting: WaitingItem[] = [];
    for (const item of items) {
      const links: ItemLinks = {};
      let missing: WaitingItem | undefined;
      for (const need of needsOf(item)) {
        const key = needKey(need);
        if (!found.has(key)) found.set(key, this.find(need));
        const answer = await found.get(key)!;
        if ('missing' in answer) {
          missing = { item, need: key, reason: `${pendingWords(need)} (${answer.missing})` };
          break;
        }
        if ('course' in answer) {
          const { course_id, category_id, group_id, group_name } = answer.course;
          links.course = { course_id, category_id, group_id, group_name };
        } else {
          const { canvas_user_id, discourse_user_id, discourse_username } = answer.user;
          links.user = { canvas_user_id, discourse_user_id, discourse_username };
        }
      }
      if (missing) waiting.push(missing);
      else ready.push(Object.keys(links).length > 0 ? { ...item, links } : item);
    }
    return { ready, waiting };
  }

  /**
   * Looks again for the links deliveries have waited for since before `before`, a few needs at a
   * time, the longest waiting first: a user's account may have appeared in Discourse since (an
   * external id, an e-mail). What is found becomes a link and releases its waits; the others are
   * marked looked at, so the next round takes other needs. Returns how many needs were looked at
   * and how many are linked now.
   */
  async recheck(before: number, limit = 50): Promise<{ looked: number; linked: number }> {
    const needs = await staleNeeds(this.options.db, before, limit);
    let linked = 0;
    const still: string[] = [];
    for (const key of needs) {
      const need = parseNeed(key);
      if (need?.kind === 'user') {
        this.misses.delete(need.canvasUserId);
        if ('user' in (await this.find(need))) linked++;
        else still.push(key);
      } else still.push(key);
    }
    // Links made by a person elsewhere release their waits already; this catches any race.
    await this.options.service.releaseLinked(still);
    await touchWaits(this.options.db, still);
    return { looked: needs.length, linked };
  }

  /** Releases the waits of these needs whose links exist now (LinkService.releaseLinked). */
  releaseLinked(needs: readonly string[]): Promise<void> {
    return this.options.service.releaseLinked(needs);
  }

  private async find(need: LinkNeed): Promise<Found> {
    const found = await existingLink(this.options.db, need);
    if (found) return found;
    switch (need.kind) {
      case 'course':
        return {
          missing: `Canvas course ${need.courseId} has no Discourse category yet; an instructor links it from the tool's page in Canvas`,
        };
      case 'category':
        return {
          missing: `Discourse category ${need.categoryId} is not linked to a Canvas course`,
        };
      case 'discourse_user': {
        const who = `${need.username ? `@${need.username} ` : ''}(id ${need.discourseUserId})`;
        return {
          missing: `Discourse user ${who} is not linked to a Canvas user; they can link their account from the tool's page in Canvas`,
        };
      }
      case 'user':
        return this.discoverUser(need.canvasUserId);
    }
  }

  /** A Canvas user with no link: looked for in Discourse, unless a person removed their link. */
  private async discoverUser(canvasUserId: string): Promise<Found> {
    const optout = await getOptout(this.options.db, canvasUserId);
    if (optout)
      return {
        missing: `the forum link was removed by ${optout.removedBy} on ${new Date(optout.removedAt).toISOString().slice(0, 10)} and is not made again automatically; the student can link an account from the tool's page in Canvas`,
      };
    const { discovery } = this.options;
    const selfService = "the student can link their forum account from the tool's page in Canvas";
    if (!discovery)
      return { missing: `Canvas user ${canvasUserId} has no forum account linked; ${selfService}` };
    const miss = this.misses.get(canvasUserId);
    if (miss && miss.until > Date.now()) return { missing: miss.why };
    const discovered = await discovery.discover(canvasUserId);
    if ('found' in discovered) {
      try {
        return {
          user: await this.options.service.linkUser(
            {
              canvasUserId,
              discourseUserId: discovered.found.id,
              discourseUsername: discovered.found.username,
              method: discovered.found.method,
            },
            'relay',
          ),
        };
      } catch (error) {
        if (!(isCdsError(error) && error.code === 'ERR_CONFLICT')) throw error;
        return this.missed(canvasUserId, `${error.message}; not linked automatically`);
      }
    }
    return this.missed(canvasUserId, `${discovered.why}; ${selfService}`);
  }

  private missed(canvasUserId: string, why: string): Found {
    this.misses.set(canvasUserId, { why, until: Date.now() + this.missMs });
    return { missing: why };
  }
}
