import { CdsError } from '@cds/shared';
import { isDiscourseRefusal, type DiscourseRest } from '../connectors/discourse/rest.js';

/** A Discourse account as a user link names it. */
export interface DiscourseAccount {
  id: number;
  username: string;
}

/** The account a `{user: {id, username}}` answer names (GET /u/..., /u/by-external/...). */
export function accountIn(body: unknown): DiscourseAccount | undefined {
  const user = (body as { user?: { id?: unknown; username?: unknown } } | null)?.user;
  return typeof user?.id === 'number' && typeof user.username === 'string'
    ? { id: user.id, username: user.username }
    : undefined;
}

/**
 * The account with this username, as Discourse spells it (an admin linking by hand names it):
 * https://docs.discourse.org/#tag/Users/operation/getUser (`GET /u/{username}.json`).
 */
export async function discourseAccount(
  rest: DiscourseRest,
  username: string,
): Promise<DiscourseAccount> {
  let body: unknown;
  try {
    body = await rest.request('GET', `/u/${encodeURIComponent(username)}.json`);
  } catch (error) {
    if (isDiscourseRefusal(error) && error.status === 404)
      throw new CdsError(
        'ERR_NOT_FOUND',
        `Discourse has no user "${username}": check the username (their profile URL ends /u/<username>)`,
      );
    throw error;
  }
  const account = accountIn(body);
  if (!account)
    throw new CdsError(
      'ERR_TARGET',
      `Discourse did not say who "${username}" is (/u/${username}.json)`,
    );
  return account;
}
