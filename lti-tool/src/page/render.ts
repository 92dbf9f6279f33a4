// The page's HTML, rendered on the server only: the first load and every live refresh use the
// same functions (the script swaps in `renderStatus`'s fragment), so there is one renderer and
// every value is escaped here.
import type { PageIdentity } from './identity.js';
import type { CourseStatus } from './relay-client.js';
import { button, escapeHtml, STYLE, time } from './render-common.js';
import { renderWaiting } from './render-links.js';

export { escapeHtml } from './render-common.js';

/** An event's state, in words (relay/src/db/schema.ts EVENT_STATES). */
export const STATE_WORDS: Record<string, string> = {
  accepted: 'waiting to be processed',
  delivering: 'being sent',
  applied: 'synced',
  stale: 'nothing to do: already up to date',
  overridden: 'overridden by the source of truth',
  conflict: 'waiting for a decision (conflict)',
  parked: 'kept aside: the relay does not know this format yet',
  dead: 'failed: see "Failed deliveries"',
  waiting: 'waiting for a link: see "Waiting for a link"',
};

const ENTITY_WORDS: Record<string, string> = {
  grade: 'Grade',
  exam_result: 'Quiz result',
  certificate: 'Certificate',
  course_completion: 'Course completion',
  badge: 'Badge',
  assignment_submission: 'Submission',
  enrollment: 'Enrollment',
  forum_post: 'Forum post',
  profile: 'Profile',
  content_edit: 'Page or announcement',
  sync_request: 'Sync request',
};

const SOURCE_WORDS: Record<string, string> = {
  canvas: 'Canvas',
  discourse: 'Discourse',
  manual: 'a person (manual)',
};

const TIER_WORDS: Record<string, string> = {
  critical: 'Critical (grades, quiz results, certificates): at once',
  high: 'High (completions, submissions, enrollments): within minutes',
  background: 'Background (forum posts, profiles, content edits): in hourly batches',
};

function words(map: Record<string, string>, value: string): string {
  return escapeHtml(map[value] ?? value);
}

/** "3 min 20 s" for a lag in ms. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The live part of the page: backlog, recent events, and for instructors conflicts and dead letters. */
export function renderStatus(identity: PageIdentity, status: CourseStatus, ltik: string): string {
  const parts: string[] = [];
  const instructor = identity.role === 'instructor';
  if (status.links) parts.push(renderWaiting(identity, status.links.waiting));
  const backlogRows = Object.entries(status.backlog)
    .map(
      ([tier, b]) =>
        `<tr><th scope="row">${words(TIER_WORDS, tier)}</th><td data-tier="${escapeHtml(tier)}">${b.backlog}</td><td>${b.backlog === 0 ? 'none' : duration(b.lagMs)}</td></tr>`,
    )
    .join('');
  parts.push(`<section aria-labelledby="cds-backlog-h"><h2 id="cds-backlog-h">${instructor ? 'Waiting to sync' : 'Your changes waiting to sync'}</h2>
<table><caption class="cds-sr">Events not yet synced, per priority</caption><thead><tr><th scope="col">Priority</th><th scope="col">Waiting</th><th scope="col">Oldest waits</th></tr></thead><tbody>${backlogRows}</tbody></table></section>`);

  const recent = status.recent.length
    ? `<table id="cds-recent"><caption class="cds-sr">Newest first</caption><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">From</th><th scope="col">State</th><th scope="col">Why</th></tr></thead><tbody>${status.recent
        .map(
          (e) =>
            `<tr data-event="${escapeHtml(e.id)}" data-state="${escapeHtml(e.state)}"><td>${time(e.receivedAt)}</td><td>${words(ENTITY_WORDS, e.entity)} <code>${escapeHtml(e.key)}</code></td><td>${words(SOURCE_WORDS, e.source)}</td><td>${words(STATE_WORDS, e.state)}</td><td>${escapeHtml(e.reason ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : `<p>${instructor ? 'No changes of this course have reached the relay yet.' : 'None of your changes have reached the relay yet.'}</p>`;
  parts.push(
    `<section aria-labelledby="cds-recent-h"><h2 id="cds-recent-h">${instructor ? 'Recent changes' : 'Your recent changes'}</h2>${recent}</section>`,
  );

  if (instructor) {
    const conflicts = status.conflicts.length
      ? `<ul id="cds-conflicts">${status.conflicts
          .map(
            (c) =>
              `<li data-conflict="${escapeHtml(c.id)}"><p>${words(ENTITY_WORDS, c.entity)} <code>${escapeHtml(c.key)}</code> was changed in Canvas and in Discourse at the same time${c.fields.length ? ` (${escapeHtml(c.fields.join(', '))})` : ''}, since ${time(c.createdAt)}. Which version should both keep?</p>
${button(`/lti/page/conflicts/${encodeURIComponent(c.id)}/resolve`, 'Take Canvas', { take: 'canvas', ltik })}${button(`/lti/page/conflicts/${encodeURIComponent(c.id)}/resolve`, 'Take Discourse', { take: 'discourse', ltik })}</li>`,
          )
          .join('')}</ul>`
      : '<p>No conflicts.</p>';
    parts.push(
      `<section aria-labelledby="cds-conflicts-h"><h2 id="cds-conflicts-h">Conflicts</h2>${conflicts}</section>`,
    );
    const dead = status.deadLetters.length
      ? `<ul id="cds-dead">${status.deadLetters
          .map(
            (d) =>
              `<li data-dead="${escapeHtml(d.eventId)}"><p>${words(ENTITY_WORDS, d.entity)} <code>${escapeHtml(d.key)}</code> could not be delivered to ${escapeHtml(d.target)} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}: ${escapeHtml(d.lastError ?? 'no reason given')}.</p>
${button(`/lti/page/dead-letters/${encodeURIComponent(d.eventId)}/replay`, 'Replay', { ltik })}</li>`,
          )
          .join('')}</ul>`
      : '<p>No failed deliveries.</p>';
    parts.push(
      `<section aria-labelledby="cds-dead-h"><h2 id="cds-dead-h">Failed deliveries</h2>${dead}</section>`,
    );
  }
  return parts.join('\n');
}

/** A problem in place of the status: what happened and what to do. */
export function renderProblem(message: string): string {
  return `<div class="cds-problem" role="alert"><h2>The sync status is not available</h2><p>${escapeHtml(message)}</p></div>`;
}

export interface PageInput {
  identity: PageIdentity;
  ltik: string;
  /** The status fragment, or a problem fragment. */
  statusHtml: string;
  /** The link sections (render-links.ts), or a problem fragment. */
  linksHtml: string;
  /** The browser script (client.js), inlined. */
  script: string;
}

/** The whole page, as Canvas frames it from course navigation. */
export function renderPage(input: PageInput): string {
  const { identity, ltik } = input;
  const instructor = identity.role === 'instructor';
  const config = JSON.stringify({ ltik, role: identity.role }).replace(/</g, '\\u003c');
  const sync = instructor ? `<p>${button('/lti/page/sync', 'Sync now', { ltik })}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Discourse sync: ${escapeHtml(identity.courseTitle)}</title><style>${STYLE}</style></head>
<body><main id="cds-page" data-role="${identity.role}">
<h1>Discourse sync: ${escapeHtml(identity.courseTitle)}</h1>
<p id="cds-viewing">${instructor ? 'Instructor view: the sync of every change in this course.' : 'Student view: the sync of your own grades, submissions and results in this course.'}</p>
<div id="cds-notice" role="status" aria-live="polite"></div>
<div id="cds-links">${input.linksHtml}</div>
${sync}
<p id="cds-live" class="cds-sr" aria-live="off">Live updates: connecting</p>
<div id="cds-status">${input.statusHtml}</div>
</main>
<script id="cds-config" type="application/json">${config}</script>
<script>${input.script}</script>
</body></html>`;
}
