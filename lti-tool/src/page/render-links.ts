// The page's link sections (DESIGN.md section 3b): the course's Discourse category and group for
// instructors, everyone's own forum account, what waits for a link, and the page the "Link my
// forum account" window ends on. Rendered on the server only; every value is escaped.
import type { CourseLink, UserLink } from '@cds/shared';
import type { PageIdentity } from './identity.js';
import type { LinksView } from './relay-client.js';
import { button, escapeHtml, STYLE, time } from './render-common.js';

export const LINK_PATHS = {
  course: '/lti/page/link/course',
  courseRemove: '/lti/page/link/course/remove',
  start: '/lti/page/link/me/start',
  callback: '/lti/page/link/callback',
  meRemove: '/lti/page/link/me/remove',
} as const;

/** What an instructor may link the course to, or why they cannot right now. */
export interface LinkChoices {
  categories: Array<{ id: number; name: string }>;
  /** The relay's reason when it cannot list or make categories (no Discourse settings...). */
  problem?: string;
}

const COURSE_METHOD: Record<CourseLink['method'], string> = {
  created: 'a category and group created for it',
  picked: 'an existing category an admin allowed',
  admin: 'set by an administrator',
};

const USER_METHOD: Record<UserLink['method'], string> = {
  external_id: 'matched by your institution id',
  email: 'matched by your verified e-mail',
  self_service: 'you linked it yourself',
  admin: 'linked by an administrator',
};

/** Who made a link, in words: `lti:<user>@course:<id>` is a person on a course's page. */
export function madeBy(who: string): string {
  const lti = /^lti:(\d+)@course:(\d+)$/.exec(who);
  if (lti) return `Canvas user ${lti[1]!}, from the tool's page of course ${lti[2]!}`;
  return who === 'admin' || who === 'cli' ? 'an administrator' : who;
}

function createForm(identity: PageIdentity, ltik: string, label: string): string {
  return button(LINK_PATHS.course, label, { create: 'course', ltik });
}

function pickForm(choices: LinkChoices, ltik: string, current?: number): string {
  const options = choices.categories
    .filter((c) => c.id !== current)
    .map((c) => `<option value="${c.id}">${escapeHtml(c.name)}</option>`)
    .join('');
  if (!options) return '';
  return `<form method="post" action="${LINK_PATHS.course}" class="cds-action cds-pick"><input type="hidden" name="ltik" value="${escapeHtml(ltik)}"><label for="cds-pick">Use an existing category</label> <select id="cds-pick" name="category_id">${options}</select> <button type="submit">Use this category</button></form>`;
}

/** The course's link, and the ways an instructor links, changes or removes it. */
function courseLinkSection(
  identity: PageIdentity,
  link: CourseLink | null,
  choices: LinkChoices | undefined,
  ltik: string,
): string {
  const title = escapeHtml(identity.courseTitle);
  const create = `Create a category and group named "${identity.courseTitle}"`;
  const problem = choices?.problem
    ? `<p class="cds-problem" id="cds-link-problem">${escapeHtml(choices.problem)}</p>`
    : '';
  if (!link) {
    const offers = choices && !choices.problem;
    return `<section aria-labelledby="cds-links-h" id="cds-course-link" data-linked="no"><h2 id="cds-links-h">Linked in Discourse</h2>
<dl><dt>Category</dt><dd id="cds-category">not linked yet</dd><dt>Group</dt><dd id="cds-group">not linked yet</dd></dl>
<h3>Link this course to Discourse</h3>
<p>${title} has no Discourse category yet: nothing of it syncs to the forum, and its changes wait as "pending: course not linked" until it is linked.</p>
${problem}${offers ? `${createForm(identity, ltik, create)}${pickForm(choices, ltik)}` : ''}</section>`;
  }
  const change = choices?.problem
    ? problem
    : `<p>Link it to another category instead:</p>${createForm(identity, ltik, create)}${pickForm(choices ?? { categories: [] }, ltik, link.category_id)}`;
  return `<section aria-labelledby="cds-links-h" id="cds-course-link" data-linked="yes"><h2 id="cds-links-h">Linked in Discourse</h2>
<dl><dt>Category</dt><dd id="cds-category">${escapeHtml(link.category_name)}</dd><dt>Group</dt><dd id="cds-group">${escapeHtml(link.group_name)}</dd>
<dt>How</dt><dd>${escapeHtml(COURSE_METHOD[link.method])}, by ${escapeHtml(madeBy(link.made_by))}, ${time(link.created_at)}</dd></dl>
<p>Enrollments keep the group's members in step; grades, submissions and certificates show on the linked students' forum accounts.</p>
<details id="cds-change-link"><summary>Change or remove the link</summary>${change}
<p>${button(LINK_PATHS.courseRemove, 'Remove the link', { ltik })} Nothing of this course syncs to Discourse after that, until it is linked again.</p></details></section>`;
}

/**
 * Everyone's own forum account. Discourse's approval page opens in a new window: Discourse refuses
 * to be framed (X-Frame-Options: SAMEORIGIN unless allow_embedding_site_in_an_iframe), would not
 * have the person's Discourse session inside Canvas's third-party iframe, and sending Canvas's
 * whole window away would lose the course. `target="_blank"` on a click is a popup Canvas's
 * iframe sandbox allows (allow-popups); the window ends on the tool's callback page.
 */
function myAccountSection(me: UserLink | null, ltik: string): string {
  if (me)
    return `<section aria-labelledby="cds-me-h" id="cds-my-link" data-linked="yes"><h2 id="cds-me-h">Your forum account</h2>
<p id="cds-me">Linked as <strong>@${escapeHtml(me.discourse_username)}</strong> (${escapeHtml(USER_METHOD[me.method])}, ${time(me.created_at)}): your grades, submissions and certificates in this course show on it.</p>
<p>${button(LINK_PATHS.meRemove, 'Remove link', { ltik })}</p></section>`;
  return `<section aria-labelledby="cds-me-h" id="cds-my-link" data-linked="no"><h2 id="cds-me-h">Your forum account</h2>
<p id="cds-me">Not linked: the tool does not know your Discourse account yet, so your grades and badges wait ("pending: user not linked") until you link it.</p>
<form method="post" action="${LINK_PATHS.start}" target="_blank" id="cds-link-me"><input type="hidden" name="ltik" value="${escapeHtml(ltik)}"><button type="submit">Link my forum account</button></form>
<p class="cds-hint">Discourse opens in a new window and asks you to approve; the link is made only when you approve it there. Then come back to this page.</p></section>`;
}

/** The link sections at the top of the page. */
export function renderLinks(
  identity: PageIdentity,
  links: LinksView | undefined,
  choices: LinkChoices | undefined,
  ltik: string,
): string {
  if (!links)
    return `<section aria-labelledby="cds-links-h"><h2 id="cds-links-h">Links</h2><p class="cds-problem">This relay does not keep links between Canvas and Discourse yet (no links API).</p></section>`;
  return [
    identity.role === 'instructor' ? courseLinkSection(identity, links.course, choices, ltik) : '',
    myAccountSection(links.me, ltik),
  ].join('\n');
}

/** What makes each kind of wait go, for a reason the relay gave without saying it. */
const WAIT_HELP: Array<{ prefix: string; instructor: string; student: string }> = [
  {
    prefix: 'pending: course not linked',
    instructor: 'link this course to Discourse above',
    student: "the course's instructor links the course to Discourse",
  },
  {
    prefix: 'pending: user not linked',
    instructor: 'each student links their forum account from this page',
    student: 'you link your forum account above',
  },
];

/** Events waiting for a link, per reason: "3 events: pending: user not linked (...)". */
export function renderWaiting(identity: PageIdentity, waiting: LinksView['waiting']): string {
  const rows = waiting.filter((w) => w.count > 0);
  if (rows.length === 0) return '';
  const items = rows
    .map((w) => {
      // The relay's reason may already say why and what to do, in parentheses.
      const help = w.reason.includes('(')
        ? undefined
        : WAIT_HELP.find((h) => w.reason.startsWith(h.prefix))?.[identity.role];
      return `<li data-reason="${escapeHtml(w.reason)}">${w.count} event${w.count === 1 ? '' : 's'}: ${escapeHtml(w.reason)}${help ? ` (sent, in order, once ${escapeHtml(help)})` : ''}</li>`;
    })
    .join('');
  return `<section aria-labelledby="cds-waiting-h"><h2 id="cds-waiting-h">Waiting for a link</h2><p>These changes are kept, not lost: each is sent, in order, as soon as its link exists.</p><ul id="cds-waiting">${items}</ul></section>`;
}

/** The page the "Link my forum account" window ends on: the result, or why nothing was linked. */
export function renderLinkResult(result: {
  ok: boolean;
  courseTitle?: string;
  message: string;
}): string {
  const heading = result.ok ? 'Your forum account is linked' : 'Your forum account was not linked';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Discourse sync: ${escapeHtml(heading)}</title><style>${STYLE}</style></head>
<body><main id="cds-link-result" data-ok="${result.ok ? 'yes' : 'no'}">
<h1>${escapeHtml(heading)}</h1>
<div ${result.ok ? 'role="status"' : 'role="alert" class="cds-problem"'}><p id="cds-link-message">${escapeHtml(result.message)}</p></div>
<p>You can close this window and go back to ${result.courseTitle ? escapeHtml(result.courseTitle) : 'the course'} in Canvas: its page shows your link.</p>
</main></body></html>`;
}
