// The plugin's components rendered in Debian's headless Chromium with the real ember-source,
// compiled as Discourse compiles them (build.ts); the relay and the plugin's token endpoint are
// a small local server answering fixture JSON. Screenshots: test-results/screenshots/.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  launchChromium,
  screenshot,
  type Browser,
  type Page,
} from '../../../test/support/browser.js';
import { bundlePlugin } from './build.js';
import {
  CANVAS_USER_NOT_LINKED,
  CATEGORY_LINKS,
  CATEGORY_NOT_LINKED,
  COURSE_NOT_LINKED,
  COURSES,
  DEAD_EVENT,
  DEAD_POST_EVENT,
  ENTITIES,
  LINKS,
  NOT_LINKED_MESSAGE,
  OPEN_ITEMS,
  SUMMARY,
  TOKEN,
  USER_NOT_LINKED,
} from './fixtures.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  /** The JSON body of a request that has one. */
  body?: unknown;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * What the fake relay answers that a test may change: `links: false` is a relay older than links;
 * `openItems` 'missing' one older than GET /v1/status/open-items, 'failing' a relay whose database
 * fails it; `role` 'moderator' (a site moderator) or 'user' (anyone else) answers as the relay does
 * to a token naming `categories` (relay/src/status/scope.ts): the admins' lists are 403, the link
 * of a category not named is the relay's 404, the status of a course not linked to one is 403.
 */
interface Relay {
  links: boolean;
  openItems: 'ok' | 'missing' | 'failing';
  role: 'admin' | 'moderator' | 'user';
  /** What the plugin's token endpoint lists (and the token names): categories the user moderates. */
  categories: number[];
  /** Another summary than SUMMARY (e.g. more open conflicts than the open items list). */
  summary?: object;
}

const FORBIDDEN = { error: { code: 'ERR_FORBIDDEN', message: 'needs the admin token' } };

function startServer(
  bundle: string,
  relay: Relay,
): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      ...(body === '' ? {} : { body: JSON.parse(body) as unknown }),
    });
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(
        '<!doctype html><html><head><meta charset="utf-8"><style>' +
          ':root{--success:#090;--tertiary:#08c;--danger:#c00;--primary:#222;--secondary:#fff}' +
          'body{font:14px sans-serif;margin:16px}.cds-render{margin:8px 0 24px}' +
          '</style><link rel="stylesheet" href="/plugin.css"></head>' +
          '<body><div id="app"></div><script type="module" src="/bundle.js"></script></body></html>',
      );
      return;
    }
    if (url.pathname === '/bundle.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(bundle);
      return;
    }
    if (url.pathname === '/plugin.css') {
      res.writeHead(200, { 'Content-Type': 'text/css' });
      res.end(PLUGIN_CSS);
      return;
    }
    if (url.pathname === '/cds-sync/token.json')
      return json(res, 200, {
        token: TOKEN,
        expires_at: new Date(Date.now() + 300_000).toISOString(),
        relay_url: '',
        categories: relay.categories,
      });
    if (!url.pathname.startsWith('/v1/status/')) return json(res, 404, {});
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(res, 401, { error: { code: 'ERR_UNAUTHORIZED', message: 'no token' } });
    if (url.pathname === '/v1/status/entities') {
      const entity = ENTITIES[url.searchParams.get('key') ?? ''];
      return entity
        ? json(res, 200, entity)
        : json(res, 200, {
            key: url.searchParams.get('key'),
            syncState: null,
            events: [],
            conflicts: [],
          });
    }
    const course = /^\/v1\/status\/courses\/(\d+)$/.exec(url.pathname)?.[1];
    const coursesOfToken = relay.categories.map(
      (c) => (CATEGORY_LINKS[String(c)] as { link: { course_id: string } } | undefined)?.link,
    );
    if (course && relay.role !== 'admin' && !coursesOfToken.some((l) => l?.course_id === course))
      return json(res, 403, {
        error: { code: 'ERR_FORBIDDEN', message: `your token does not cover course ${course}` },
      });
    if (course && COURSES[course]) return json(res, 200, COURSES[course]);
    const category = /^\/v1\/status\/categories\/(\d+)\/link$/.exec(url.pathname)?.[1];
    if (category === '500')
      return json(res, 503, {
        error: { code: 'ERR_UNAVAILABLE', message: 'the relay is restarting' },
      });
    if (category !== undefined) {
      const moderated = relay.role === 'admin' || relay.categories.includes(Number(category));
      return moderated && CATEGORY_LINKS[category]
        ? json(res, 200, CATEGORY_LINKS[category])
        : json(res, 404, {
            error: {
              code: 'ERR_NOT_FOUND',
              message: `${NOT_LINKED_MESSAGE(category)}${moderated ? '' : ' that you moderate'}`,
            },
          });
    }
    const adminOnly = ['/v1/status/summary', '/v1/status/links', '/v1/status/open-items'];
    if (relay.role !== 'admin' && adminOnly.includes(url.pathname))
      return json(res, 403, FORBIDDEN);
    if (url.pathname === '/v1/status/summary') return json(res, 200, relay.summary ?? SUMMARY);
    if (url.pathname === '/v1/status/links' && relay.links) return json(res, 200, LINKS);
    if (url.pathname === '/v1/status/open-items' && relay.openItems === 'ok')
      return json(res, 200, OPEN_ITEMS);
    if (url.pathname === '/v1/status/open-items' && relay.openItems === 'failing')
      return json(res, 500, { error: { code: 'ERR_INTERNAL', message: 'database unavailable' } });
    const replayed = /^\/v1\/status\/dead-letters\/([^/]+)\/replay$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && (replayed === DEAD_EVENT || replayed === DEAD_POST_EVENT))
      return json(res, 202, { eventId: replayed, replayed: 1 });
    const resolved = /^\/v1\/status\/conflicts\/([^/]+)\/resolve$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && OPEN_ITEMS.conflicts.some((c) => c.id === resolved))
      return json(res, 202, { conflictId: resolved });
    return json(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'no such thing' } });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }),
    ),
  );
}

// The plugin's stylesheet is SCSS that Discourse compiles; the test needs only the tooltip's
// hidden rule for visibility to mean what it means in Discourse.
const PLUGIN_CSS =
  '.cds-sync-badge{border:1px solid currentcolor;border-radius:1em;padding:0 .5em}' +
  '.cds-sync-badge--synced{color:var(--success)}.cds-sync-badge--pending{color:var(--tertiary)}' +
  '.cds-sync-badge--failed{color:var(--danger)}.cds-sync-badge--conflict{color:#b38600}' +
  '.cds-sync-badge-wrap{position:relative;display:inline-block;margin-right:1em}' +
  '.cds-sync-badge__reason{position:absolute;top:100%;left:0;background:var(--primary);' +
  'color:var(--secondary);padding:.3em .5em;min-width:14em}.cds-sync-badge__reason[hidden]{display:none}';

type RenderArgs = [
  name: string,
  args: object,
  env: { relayUrl: string; staff: boolean; admin?: boolean; anonymous?: boolean },
];

describe('discourse-plugin front end in Chromium (real ember-source)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let page: Page;
  let server: Server;
  let url: string;
  let seen: Seen[];
  const relay: Relay = { links: true, openItems: 'ok', role: 'admin', categories: [] };
  const errors: string[] = [];

  before(async () => {
    const bundle = await bundlePlugin();
    ({ server, url, seen } = await startServer(bundle, relay));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  beforeEach(async () => {
    errors.length = 0;
    seen.length = 0;
    Object.assign(relay, {
      links: true,
      openItems: 'ok',
      role: 'admin',
      categories: [],
      summary: undefined,
    } satisfies Relay);
    page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => 'cds' in globalThis);
  });

  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, [], 'no error in the page');
  });

  const render = (...args: RenderArgs) =>
    page.evaluate(async ([name, a, env]) => {
      const cds = (globalThis as unknown as { cds: { render: (...x: unknown[]) => Promise<void> } })
        .cds;
      await cds.render(name, a, env);
    }, args);

  it('shows each badge state with its reason on hover and to screen readers', async () => {
    const states = {
      synced: 'In step with Canvas.',
      pending: 'On its way to the other side.',
      failed: 'Canvas answered 500 five times',
      conflict: 'Both sides changed title: a person must choose.',
    };
    for (const [state, reason] of Object.entries(states))
      await render('CdsSyncBadge', { state, reason }, { relayUrl: url, staff: true });

    for (const [state, reason] of Object.entries(states)) {
      const badge = page.locator(`.cds-sync-badge[data-state="${state}"]`);
      assert.equal(
        (await badge.textContent())?.trim(),
        `Sync: ${state[0]!.toUpperCase()}${state.slice(1)}`,
      );
      const tooltip = page.locator(`#${await badge.getAttribute('aria-describedby')}`);
      assert.equal(await tooltip.getAttribute('role'), 'tooltip');
      assert.equal(await tooltip.isVisible(), false, `${state}: reason hidden until hovered`);
      await badge.hover();
      assert.equal(await tooltip.isVisible(), true, `${state}: reason shown on hover`);
      assert.equal((await tooltip.textContent())?.trim(), reason);
      if (state === 'conflict') await screenshot(page, 'discourse-plugin-badges-hover');
      await page.mouse.move(0, 400);
      assert.equal(await tooltip.isVisible(), false, `${state}: hidden again`);
    }
    // Keyboard users get the reason on focus too.
    await page.locator('.cds-sync-badge[data-state="failed"]').focus();
    assert.equal(await page.getByRole('tooltip', { name: states.failed }).isVisible(), true);
  });

  it("asks the relay with the plugin's token for a post's badge; nothing for non-staff", async () => {
    await render(
      'CdsEntitySyncBadge',
      { kind: 'post', model: { id: 5, topic_id: 3 } },
      { relayUrl: url, staff: true },
    );
    await page.locator('.cds-sync-badge--post').waitFor();
    assert.equal(await page.locator('.cds-sync-badge--post').getAttribute('data-state'), 'failed');
    const asked = seen.find((s) => s.url.startsWith('/v1/status/entities'));
    assert.equal(asked?.url, '/v1/status/entities?key=topic%3A3%2Fpost%3A5');
    assert.equal(asked?.authorization, `Bearer ${TOKEN}`);

    await render(
      'CdsEntitySyncBadge',
      { kind: 'post', model: { id: 5, topic_id: 3, cds_sync: { state: 'synced', reason: 'x' } } },
      { relayUrl: url, staff: false },
    );
    await page.evaluate(() =>
      (globalThis as unknown as { cds: { settled: () => Promise<void> } }).cds.settled(),
    );
    assert.equal(await page.locator('.cds-sync-badge').count(), 1, 'a non-moderator sees no badge');
  });

  it('places badges for staff only and the category panel for anyone logged in', async () => {
    const calls = (staff: boolean, anonymous = false) =>
      page.evaluate(
        (env) =>
          (
            globalThis as unknown as { cds: { initialize: (e: unknown) => string[] } }
          ).cds.initialize(env),
        { relayUrl: url, staff, anonymous },
      );
    assert.deepEqual(await calls(false, true), [], 'no one logged in: nothing');
    // Anyone may moderate a category through its group: the panel decides (see the test below).
    assert.deepEqual(await calls(false), ['renderInOutlet category-heading']);
    assert.deepEqual(await calls(true), [
      'renderInOutlet category-heading',
      'renderInOutlet user-card-post-names',
      'renderAfterWrapperOutlet post-meta-data-poster-name',
      'renderInOutlet topic-list-after-title',
      'renderInOutlet topic-title-suffix',
      'registerValueTransformer post-class -> ["cds-sync--failed"]',
      'registerValueTransformer topic-list-item-class -> []',
    ]);
  });

  it("shows a moderator the linked course's backlog, conflicts and failures", async () => {
    await render(
      'CdsCategoryStatus',
      { category: { id: 12, custom_fields: { cds_course_id: '42' } } },
      { relayUrl: url, staff: true },
    );
    const panel = page.locator('.cds-category-status');
    await panel.locator('table').waitFor();
    assert.equal(await panel.locator('h3').textContent(), 'Canvas sync: course 42');
    assert.equal(
      (await panel.locator('.cds-category-status__link').textContent())?.trim(),
      'Linked to this category and the group course-42 (created from Canvas; made by lti:7@course:42, 2026-11-20 08:30 UTC).',
    );
    assert.equal(
      (await panel.locator('.cds-category-status__waiting').textContent())?.trim(),
      `2 events waiting: ${CANVAS_USER_NOT_LINKED}`,
    );
    assert.deepEqual(
      await panel
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())),
        ),
      [
        ['critical', '0 events', 'now'],
        ['high', '2 events', '42 s'],
        ['background', '7 events', '5 min'],
      ],
    );
    assert.equal(
      await panel.locator('.cds-category-status__conflicts').textContent(),
      '1 open conflict',
    );
    assert.equal(
      await panel.locator('.cds-category-status__failed').textContent(),
      '1 failed delivery',
    );
    assert.match(
      (await panel.locator('.cds-category-status__failures').textContent()) ?? '',
      /grade to canvas: Canvas answered 500/,
    );
    await screenshot(page, 'discourse-plugin-category-panel');

    await render(
      'CdsCategoryStatus',
      { category: { custom_fields: {} } },
      { relayUrl: url, staff: true },
    );
    assert.equal(
      await page.locator('.cds-category-status').count(),
      1,
      'no panel for an unlinked category',
    );
  });

  it('shows the admin page: health, backlog, dead letters with a replay that posts, conflicts', async () => {
    await render(
      'CdsAdminStatus',
      { courses: [{ courseId: '42', name: 'Biology 101' }] },
      { relayUrl: url, staff: true },
    );
    await page.locator('.cds-admin-status__health table').waitFor();
    assert.equal(
      await page.locator('tr[data-target="canvas"] .cds-health').textContent(),
      'degraded',
    );
    assert.equal(
      await page.locator('tr[data-target="discourse"] .cds-health').textContent(),
      'healthy',
    );
    assert.equal(
      (await page.locator('.cds-admin-status__totals').textContent())?.trim(),
      '2 open conflicts · 0 parked events',
    );
    assert.equal(
      await page
        .locator('.cds-admin-status__backlog tr[data-tier="background"] td')
        .nth(2)
        .textContent(),
      '5 min',
    );
    const row = page.locator(`.cds-admin-status__dead-letters tr[data-event-id="${DEAD_EVENT}"]`);
    assert.match(
      (await row.textContent()) ?? '',
      /Biology 101.*grade.*canvas.*8.*Canvas answered 500/s,
    );
    assert.match(
      (await page
        .locator('.cds-admin-status__conflicts tr[data-conflict-id="c-1"]')
        .textContent()) ?? '',
      /content_edit.*body, title/s,
    );
    await screenshot(page, 'discourse-plugin-admin-page');

    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByRole('status').filter({ hasText: 'Replay queued' }).waitFor();
    assert.equal(
      (await row.getByRole('status').textContent())?.trim(),
      'Replay queued (1 delivery)',
    );
    const posted = seen.filter((s) => s.method === 'POST');
    assert.deepEqual(posted, [
      {
        method: 'POST',
        url: `/v1/status/dead-letters/${DEAD_EVENT}/replay`,
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
    await screenshot(page, 'discourse-plugin-admin-replayed');
  });

  it('shows an event waiting for a link as a pending badge, the reason on hover', async () => {
    await render(
      'CdsEntitySyncBadge',
      { kind: 'post', model: { id: 6, topic_id: 3 } },
      { relayUrl: url, staff: true },
    );
    const badge = page.locator('.cds-sync-badge--post');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-state'), 'pending');
    assert.equal((await badge.textContent())?.trim(), 'Sync: Pending');
    const tooltip = page.locator(`#${await badge.getAttribute('aria-describedby')}`);
    assert.equal(await tooltip.isVisible(), false);
    await badge.hover();
    assert.equal(await tooltip.isVisible(), true);
    assert.equal((await tooltip.textContent())?.trim(), USER_NOT_LINKED);
    await screenshot(page, 'discourse-plugin-badge-waiting-for-link');
  });

  it("shows the relay's links on the admin page: courses, users by method, what waits", async () => {
    await render(
      'CdsAdminStatus',
      { courses: [{ courseId: '42', name: 'Biology 101' }] },
      { relayUrl: url, staff: true, admin: true },
    );
    const links = page.locator('.cds-admin-status__links');
    await links.locator('.cds-links__courses').waitFor();
    const cells = (rows: string) =>
      links
        .locator(rows)
        .evaluateAll((trs) =>
          trs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())),
        );
    assert.deepEqual(await cells('.cds-links__courses tbody tr'), [
      [
        '42',
        'Biology 101 (#12)',
        'course-42',
        'created from Canvas',
        'lti:7@course:42',
        '2026-11-20 08:30 UTC',
      ],
      [
        '43',
        'Chemistry (#13)',
        'course-43',
        'by an admin',
        'cli:root@relay',
        '2026-11-21 14:05 UTC',
      ],
    ]);
    assert.equal(
      (await links.locator('.cds-links__users-total').textContent())?.trim(),
      '3 users linked',
    );
    assert.deepEqual(await cells('.cds-links__users tbody tr'), [
      ['external_id (identity provider)', '2 users'],
      ['verified e-mail', '0 users'],
      ['self-service (Link my forum account)', '1 user'],
      ['by an admin', '0 users'],
    ]);
    assert.deepEqual(await cells('.cds-links__waiting tbody tr'), [
      ['Discourse category 77 to a Canvas course', '1 event', CATEGORY_NOT_LINKED],
      ['Canvas course 44 to a Discourse category', '3 events', COURSE_NOT_LINKED],
      ['Canvas user 55 to a forum account', '2 events', CANVAS_USER_NOT_LINKED],
    ]);
    // The open items come in one answer: no course's status is read for them.
    assert.deepEqual(
      seen.filter((x) => x.url.startsWith('/v1/status/courses/')).map((x) => x.url),
      [],
    );
    await screenshot(page, 'discourse-plugin-admin-links');
  });

  it('keeps the admin page when the relay lists no links, and says why', async () => {
    relay.links = false;
    await render(
      'CdsAdminStatus',
      { courses: [{ courseId: '42', name: 'Biology 101' }] },
      { relayUrl: url, staff: true, admin: true },
    );
    await page.locator('.cds-admin-status__health table').waitFor();
    assert.equal(
      (await page.locator('.cds-links__error').textContent())?.trim(),
      'This relay does not list links (GET /v1/status/links answered 404): update the relay.',
    );
    assert.equal(await page.locator('.cds-admin-status__dead-letters tbody tr').count(), 2);
  });

  it('says on the category panel when its category is not linked to a course', async () => {
    const panelOf = async (category: object, admin: boolean) => {
      await render('CdsCategoryStatus', { category }, { relayUrl: url, staff: true, admin });
      await page.evaluate(() =>
        (globalThis as unknown as { cds: { settled: () => Promise<void> } }).cds.settled(),
      );
      return page.locator('.cds-render').last().locator('.cds-category-status');
    };
    const text = async (panel: Awaited<ReturnType<typeof panelOf>>, part: string) => {
      await panel.locator(part).first().waitFor();
      return (await panel.locator(part).textContent())?.replace(/\s+/g, ' ').trim();
    };

    // The forum says course 44, the relay has no category for it.
    const noCategory = await panelOf({ id: 14, custom_fields: { cds_course_id: '44' } }, false);
    assert.equal(
      await text(noCategory, '.cds-category-status__unlinked'),
      `Canvas course 44 is not linked to a Discourse category: its events wait as "pending: course not linked" until an instructor links it from the tool's page in Canvas.`,
    );
    assert.equal(
      await text(noCategory, '.cds-category-status__waiting'),
      `3 events waiting: ${COURSE_NOT_LINKED}`,
    );

    // The forum says course 42, the relay links course 42 to another category.
    const elsewhere = await panelOf({ id: 13, custom_fields: { cds_course_id: '42' } }, false);
    assert.equal(
      await text(elsewhere, '.cds-category-status__unlinked'),
      'Canvas course 42 is linked to the category "Biology 101" (#12), not this one: nothing of it syncs here.',
    );

    // An admin: the relay's links say which course a category is, or that it is none.
    const none = await panelOf({ id: 77 }, true);
    assert.equal(await text(none, 'h3'), 'Canvas sync');
    assert.equal(
      await text(none, '.cds-category-status__unlinked'),
      "This category is not linked to a Canvas course: nothing of a course syncs here. An instructor links their course from the tool's page in Canvas; an admin with cds links add course.",
    );
    assert.equal(
      await text(none, '.cds-category-status__waiting'),
      `1 event waiting: ${CATEGORY_NOT_LINKED}`,
    );
    await screenshot(page, 'discourse-plugin-category-not-linked');
    const found = await panelOf({ id: 13 }, true);
    assert.equal(await text(found, 'h3'), 'Canvas sync: course 43');
    assert.match(
      (await text(found, '.cds-category-status__link')) ?? '',
      /group course-43 \(by an admin; made by cli:root@relay, /,
    );

    assert.deepEqual(
      seen.filter((x) => x.url.startsWith('/v1/status/categories/')).map((x) => x.url),
      ['/v1/status/categories/77/link', '/v1/status/categories/13/link'],
      'a category that names its course is not looked up',
    );
  });

  it('shows a moderator the panel of a category the relay links to a course they moderate', async () => {
    relay.role = 'moderator';
    relay.categories = [12];
    const idle = () =>
      page.evaluate(() =>
        (globalThis as unknown as { cds: { idle: () => Promise<void> } }).cds.idle(),
      );
    await render('CdsCategoryStatus', { category: { id: 12 } }, { relayUrl: url, staff: true });
    const panel = page.locator('.cds-render').last().locator('.cds-category-status');
    await panel.locator('table').waitFor();
    assert.equal(await panel.locator('h3').textContent(), 'Canvas sync: course 42');
    assert.equal(
      (await panel.locator('.cds-category-status__link').textContent())?.trim(),
      'Linked to this category and the group course-42 (created from Canvas; made by lti:7@course:42, 2026-11-20 08:30 UTC).',
    );
    assert.equal(
      await panel.locator('.cds-category-status__failed').textContent(),
      '1 failed delivery',
    );
    await screenshot(page, 'discourse-plugin-category-panel-moderator');

    // The relay's 404 to a moderator also covers a category linked to a course they do not
    // moderate: no panel, rather than "not linked", and the admins' links are never asked.
    await render('CdsCategoryStatus', { category: { id: 13 } }, { relayUrl: url, staff: true });
    await idle();
    assert.equal(
      await page.locator('.cds-render').last().locator('.cds-category-status').count(),
      0,
    );
    assert.deepEqual(
      seen.filter((x) => x.url.startsWith('/v1/status/') && x.method === 'GET').map((x) => x.url),
      [
        '/v1/status/categories/12/link',
        '/v1/status/courses/42?limit=50',
        '/v1/status/categories/13/link',
      ],
    );
  });

  it("shows a category group moderator (not staff) their category's panel and no other", async () => {
    // Mia moderates category 12 (course 42) through its group; Discourse's role for her is 'user'.
    relay.role = 'user';
    relay.categories = [12];
    const idle = () =>
      page.evaluate(() =>
        (globalThis as unknown as { cds: { idle: () => Promise<void> } }).cds.idle(),
      );
    const asked = () =>
      seen
        .filter((x) => x.url.startsWith('/v1/') || x.url.startsWith('/cds-sync/'))
        .map((x) => x.url);
    const member = { relayUrl: url, staff: false };

    // Category 13 is not hers, even though it names its course itself: nothing, not even asked.
    await render(
      'CdsCategoryStatus',
      { category: { id: 13, custom_fields: { cds_course_id: '43' } } },
      member,
    );
    await render('CdsCategoryStatus', { category: { id: 12 } }, member);
    const [other, hers] = [page.locator('.cds-render').nth(0), page.locator('.cds-render').nth(1)];
    await hers.locator('.cds-category-status table').waitFor();
    await idle();
    assert.equal(await other.locator('.cds-category-status').count(), 0);
    const panel = hers.locator('.cds-category-status');
    assert.equal(await panel.locator('h3').textContent(), 'Canvas sync: course 42');
    assert.equal(
      (await panel.locator('.cds-category-status__link').textContent())?.trim(),
      'Linked to this category and the group course-42 (created from Canvas; made by lti:7@course:42, 2026-11-20 08:30 UTC).',
    );
    assert.equal(
      (await panel.locator('.cds-category-status__waiting').textContent())?.trim(),
      `2 events waiting: ${CANVAS_USER_NOT_LINKED}`,
    );
    assert.equal(
      await panel.locator('.cds-category-status__failed').textContent(),
      '1 failed delivery',
    );
    // Read-only: the panel has no action a category moderator could not take.
    assert.equal(await panel.locator('button').count(), 0);
    await screenshot(page, 'discourse-plugin-category-panel-group-moderator');
    // Each render is a page of its own (its own token); the relay is asked about 12 only.
    assert.deepEqual(asked(), [
      '/cds-sync/token.json',
      '/cds-sync/token.json',
      '/v1/status/categories/12/link',
      '/v1/status/courses/42?limit=50',
    ]);
  });

  it('shows a plain user (no category moderated) no category panel and asks the relay nothing', async () => {
    relay.role = 'user';
    for (const category of [{ id: 12 }, { id: 13, custom_fields: { cds_course_id: '43' } }])
      await render('CdsCategoryStatus', { category }, { relayUrl: url, staff: false });
    await page.evaluate(() =>
      (globalThis as unknown as { cds: { idle: () => Promise<void> } }).cds.idle(),
    );
    assert.equal(await page.locator('.cds-render').count(), 2);
    assert.equal(await page.locator('.cds-category-status').count(), 0);
    // Only the token (whose answer lists no category), once per page; nothing of the relay.
    assert.deepEqual(
      seen.map((x) => x.url).filter((u) => u.startsWith('/v1/') || u.startsWith('/cds-sync/')),
      ['/cds-sync/token.json', '/cds-sync/token.json'],
    );
    await screenshot(page, 'discourse-plugin-category-panel-plain-user');
  });

  it('says why on the category panel when the relay fails to say which course it is', async () => {
    await render(
      'CdsCategoryStatus',
      { category: { id: 500 } },
      { relayUrl: url, staff: true, admin: true },
    );
    const panel = page.locator('.cds-render').last().locator('.cds-category-status');
    await panel.locator('.cds-category-status__error').waitFor();
    assert.equal(
      (await panel.locator('.cds-category-status__error').textContent())?.trim(),
      'the relay is restarting',
    );
  });

  it('lists every open conflict and dead letter from GET /v1/status/open-items, with their actions', async () => {
    await render(
      'CdsAdminStatus',
      { courses: [{ courseId: '42', name: 'Biology 101' }] },
      { relayUrl: url, staff: true, admin: true },
    );
    const deadLetters = page.locator('.cds-admin-status__dead-letters');
    const conflicts = page.locator('.cds-admin-status__conflicts');
    await deadLetters.locator('table').waitFor();
    const cells = (rows: ReturnType<typeof page.locator>) =>
      rows.evaluateAll((trs) =>
        trs.map((r) =>
          [...r.querySelectorAll('td')]
            .slice(0, -1)
            .map((td) => td.textContent?.replace(/\s+/g, ' ').trim()),
        ),
      );
    // Newest first as the relay lists them; a forum post's dead letter has no course.
    assert.deepEqual(await cells(deadLetters.locator('tbody tr')), [
      ['—', 'forum_post topic:3/post:5', 'canvas', '5', 'Canvas answered 500 five times'],
      ['Biology 101', 'grade course:42/user:7/assignment:9', 'canvas', '8', 'Canvas answered 500'],
    ]);
    // Course 43 is named by its link's category (no forum category names it).
    assert.deepEqual(await cells(conflicts.locator('tbody tr')), [
      ['Chemistry', 'content_edit course:43/page:3', 'title'],
      ['Biology 101', 'content_edit course:42/page:9', 'body, title'],
    ]);
    assert.equal(await page.locator('.cds-admin-status__partial').count(), 0);
    assert.deepEqual(
      seen
        .filter((x) => x.method === 'GET' && x.url.startsWith('/v1/status/'))
        .map((x) => x.url)
        .sort(),
      ['/v1/status/links', '/v1/status/open-items?limit=200', '/v1/status/summary'],
    );
    await screenshot(page, 'discourse-plugin-admin-open-items');

    const post = deadLetters.locator(`tr[data-event-id="${DEAD_POST_EVENT}"]`);
    await post.getByRole('button', { name: 'Replay' }).click();
    await post.getByRole('status').filter({ hasText: 'Replay queued' }).waitFor();
    const chemistry = conflicts.locator('tr[data-conflict-id="c-2"]');
    await chemistry.getByRole('button', { name: 'Keep Discourse' }).click();
    await chemistry.getByRole('status').filter({ hasText: 'Resolved' }).waitFor();
    assert.equal(
      (await chemistry.getByRole('status').textContent())?.trim(),
      'Resolved: discourse kept',
    );
    assert.deepEqual(
      seen.filter((x) => x.method === 'POST').map(({ url: u, body }) => ({ url: u, body })),
      [
        { url: `/v1/status/dead-letters/${DEAD_POST_EVENT}/replay`, body: undefined },
        { url: '/v1/status/conflicts/c-2/resolve', body: { take: 'discourse' } },
      ],
    );
    await screenshot(page, 'discourse-plugin-admin-open-items-acted');

    // More open than listed: the page says it shows the newest.
    relay.summary = { ...SUMMARY, conflicts: { open: 250 } };
    await render('CdsAdminStatus', { courses: [] }, { relayUrl: url, staff: true, admin: true });
    const again = page.locator('.cds-render').last();
    await again.locator('.cds-admin-status__partial').waitFor();
    assert.deepEqual(await again.locator('.cds-admin-status__partial').allTextContents(), [
      'Showing the newest 2 of 250.',
    ]);
    assert.equal(
      await again.locator('.cds-admin-status__conflicts tbody tr td').first().textContent(),
      'Chemistry',
    );
  });

  it('keeps the admin page when the open items fail, their error in their sections only', async () => {
    for (const [mode, message] of [
      [
        'failing',
        'The relay did not list its open conflicts and dead letters: database unavailable',
      ],
      [
        'missing',
        'This relay does not list open items (GET /v1/status/open-items answered 404): update the relay.',
      ],
    ] as const) {
      relay.openItems = mode;
      await render(
        'CdsAdminStatus',
        { courses: [{ courseId: '42', name: 'Biology 101' }] },
        { relayUrl: url, staff: true, admin: true },
      );
      const admin = page.locator('.cds-render').last();
      await admin.locator('.cds-admin-status__health table').waitFor();
      assert.deepEqual(
        (await admin.locator('.cds-admin-status__open-items-error').allTextContents()).map((t) =>
          t.trim(),
        ),
        [message, message],
        `${mode}: the dead letters and the conflicts say why`,
      );
      assert.equal(
        await admin
          .locator('.cds-admin-status__open-items-error')
          .evaluateAll((ps) => ps.map((p) => p.closest('section')?.className))
          .then((c) => c.join(' ')),
        'cds-admin-status__dead-letters cds-admin-status__conflicts',
      );
      assert.equal(await admin.locator('.cds-admin-status__dead-letters tbody tr').count(), 0);
      // The rest of the page is there: health, links, no page-wide error.
      assert.equal(
        await admin.locator('tr[data-target="canvas"] .cds-health').textContent(),
        'degraded',
      );
      assert.equal(await admin.locator('.cds-links__courses tbody tr').count(), 2);
      assert.equal(await admin.locator('.cds-admin-status__error').count(), 0);
    }
    await screenshot(page, 'discourse-plugin-admin-open-items-failed');
  });
});
