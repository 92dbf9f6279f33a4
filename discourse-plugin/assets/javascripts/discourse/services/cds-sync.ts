// The plugin's one door to the relay: a RelayClient per page, with the entity answers of this
// page cached so a topic with many posts by one person asks once per key.
import Service, { service } from '@ember/service';
import { ajax } from 'discourse/lib/ajax';
import { badgeOf, type SyncBadgeInfo } from '../lib/cds-sync/badge-state';
import { RelayClient } from '../lib/cds-sync/relay-client';
import type { LinksOverview } from '../lib/cds-sync/status';

/** How long the links answer serves category pages before it is asked again. */
const LINKS_TTL_MS = 30_000;

interface SiteSettingsLike {
  cds_sync_enabled?: boolean;
  cds_sync_relay_url?: string;
}

interface CurrentUserLike {
  staff?: boolean;
  admin?: boolean;
  moderator?: boolean;
}

export default class CdsSyncService extends Service {
  @service declare siteSettings: SiteSettingsLike;
  @service declare currentUser: CurrentUserLike | null;

  #client: RelayClient | undefined;
  #badges = new Map<string, Promise<SyncBadgeInfo | null>>();
  #links: { at: number; answer: Promise<LinksOverview> } | undefined;

  /** Badges are for moderators and admins (staff) only. */
  get canSeeBadges(): boolean {
    return Boolean(this.siteSettings.cds_sync_enabled && this.currentUser?.staff);
  }

  /**
   * Anyone logged in may moderate a category through category group moderation, which only the
   * token endpoint's answer tells (moderatesCategory); staff see every category's panel.
   */
  get mayModerateCategories(): boolean {
    return Boolean(this.siteSettings.cds_sync_enabled && this.currentUser);
  }

  /**
   * Whether the current user moderates the category through category group moderation: it is
   * among the `categories` of their token, which the relay answers that category's panel for.
   * Asks the plugin's token endpoint only (the token is kept for the relay's requests).
   */
  async moderatesCategory(categoryId: number): Promise<boolean> {
    if (!this.mayModerateCategories) return false;
    return (await this.client.moderatedCategories()).includes(categoryId);
  }

  get client(): RelayClient {
    this.#client ??= new RelayClient({
      relayUrl: this.siteSettings.cds_sync_relay_url ?? '',
      fetchToken: () => ajax('/cds-sync/token.json'),
    });
    return this.#client;
  }

  /** The badge for an entity key; failures to ask are not cached (the next render asks again). */
  badgeFor(key: string): Promise<SyncBadgeInfo | null> {
    let badge = this.#badges.get(key);
    if (!badge) {
      badge = this.client.entity(key).then(badgeOf);
      this.#badges.set(key, badge);
      badge.catch(() => this.#badges.delete(key));
    }
    return badge;
  }

  /** The relay lists every link to admins only (GET /v1/status/links answers others 403). */
  get canReadLinks(): boolean {
    return this.canSeeBadges && Boolean(this.currentUser?.admin);
  }

  /** Every link, shared by the panels of a few page changes; a failure is not kept. */
  links(): Promise<LinksOverview> {
    const now = Date.now();
    if (this.#links && now - this.#links.at < LINKS_TTL_MS) return this.#links.answer;
    const answer = this.client.links();
    const entry = { at: now, answer };
    this.#links = entry;
    answer.catch(() => {
      if (this.#links === entry) this.#links = undefined;
    });
    return answer;
  }

  /** Forgets cached badges and links (after a replay or resolve changed them). */
  forget(): void {
    this.#badges.clear();
    this.#links = undefined;
  }
}
