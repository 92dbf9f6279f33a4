import type { UserLinkMethod } from '@cds/shared';
import { isDiscourseRefusal, type DiscourseRest } from '../connectors/discourse/rest.js';
import type { Db } from '../store/common.js';
import { accountIn, type DiscourseAccount } from './accounts.js';
import { getIdentity } from '../store/links.js';

/** Which Canvas identifier a Discourse account's `external_id` holds (DESIGN.md section 3b). */
export const EXTERNAL_ID_FIELDS = [
  'canvas_user_id',
  'sis_user_id',
  'login_id',
  'lti_sub',
  'none',
] as const;
export type ExternalIdField = (typeof EXTERNAL_ID_FIELDS)[number];

export interface DiscoveryOptions {
  rest: DiscourseRest;
  /** @defaultValue 'canvas_user_id' */
  externalId?: ExternalIdField;
  /** Link on a verified e-mail that exactly one Discourse account has. @defaultValue false */
  byEmail?: boolean;
}

/** A Discourse account found for a Canvas user, or why none was taken. */
export type Discovered =
  { found: { id: number; username: string; method: UserLinkMethod } } | { why: string };

interface AdminListedUser {
  id?: unknown;
  username?: unknown;
  email?: unknown;
  secondary_emails?: unknown;
  active?: unknown;
}

/**
 * Finds a Canvas user's Discourse account automatically, in the order of DESIGN.md section 3b
 * after an existing link: the `external_id` the school's identity provider gave Discourse, then
 * (only when the institution turned it on) a verified e-mail that exactly one account has. Never
 * a guess: anything short of one exact match is an answer with the reason.
 */
export class UserDiscovery {
  private readonly externalId: ExternalIdField;

  constructor(
    private readonly db: Db,
    private readonly options: DiscoveryOptions,
  ) {
    this.externalId = options.externalId ?? 'canvas_user_id';
  }

  async discover(canvasUserId: string): Promise<Discovered> {
    const identity = await getIdentity(this.db, canvasUserId);
    const reasons: string[] = [];
    if (this.externalId !== 'none') {
      const value =
        this.externalId === 'canvas_user_id' ? canvasUserId : identity?.[this.externalId];
      if (!value)
        reasons.push(
          `no ${this.externalId} known for Canvas user ${canvasUserId} (known once they launch the tool)`,
        );
      else {
        const user = await this.byExternalId(value);
        if (user) return { found: { ...user, method: 'external_id' } };
        reasons.push(`no Discourse account has external_id "${value}"`);
      }
    }
    if (this.options.byEmail) {
      if (!identity?.email) reasons.push(`no e-mail known for Canvas user ${canvasUserId}`);
      else {
        const matches = await this.byEmail(identity.email);
        if (matches.length === 1) return { found: { ...matches[0]!, method: 'email' } };
        reasons.push(
          matches.length === 0
            ? `no Discourse account has the verified e-mail ${identity.email}`
            : `the e-mail ${identity.email} matches ${matches.length} Discourse accounts, so none is linked automatically`,
        );
      }
    }
    return { why: reasons.join('; ') || 'automatic linking is turned off' };
  }

  /** https://docs.discourse.org/#tag/Users/operation/getUserExternalId */
  private async byExternalId(value: string): Promise<DiscourseAccount | undefined> {
    try {
      return accountIn(
        await this.options.rest.request('GET', `/u/by-external/${encodeURIComponent(value)}.json`),
      );
    } catch (error) {
      if (isDiscourseRefusal(error) && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Active accounts (their e-mail confirmed) with this e-mail, primary or secondary:
   * https://docs.discourse.org/#tag/Admin/operation/adminListUsersFlag with `email` ("Filter to
   * the user with this email address") and `show_emails`. Compared without case.
   */
  private async byEmail(email: string): Promise<Array<{ id: number; username: string }>> {
    const query = new URLSearchParams({ email, show_emails: 'true' });
    const list = (await this.options.rest.request(
      'GET',
      `/admin/users/list/active.json?${query}`,
    )) as AdminListedUser[];
    const wanted = email.trim().toLowerCase();
    const matches = (Array.isArray(list) ? list : []).filter((u) => {
      const emails = [u.email, ...(Array.isArray(u.secondary_emails) ? u.secondary_emails : [])];
      return (
        u.active !== false &&
        emails.some((e) => typeof e === 'string' && e.trim().toLowerCase() === wanted)
      );
    });
    return matches.flatMap((u) =>
      typeof u.id === 'number' && typeof u.username === 'string'
        ? [{ id: u.id, username: u.username }]
        : [],
    );
  }
}
