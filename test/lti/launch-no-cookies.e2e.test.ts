// The launch from Canvas course navigation in a real headless Chromium that blocks third-party
// cookies (as Safari, and Chrome without third-party cookies): the tool in the simulator's course
// page iframe, on another site (the simulator at 127.0.0.1, the tool at localhost), keeps its OIDC
// state in the platform's storage frame (lti.put_data / lti.get_data) instead of ltijs's cookie,
// and its course page works without its session cookie. The same launch with cookies allowed, and
// launches the tool must refuse when the platform's storage does not vouch for them.
// https://www.imsglobal.org/spec/lti-cs-oidc/v0p1 , https://www.imsglobal.org/spec/lti-pm-s/v0p1
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLtiTool, type LtiTool } from '@cds/lti-tool';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { createCourse, createUser, enroll } from '../sim/canvas/mutations.js';
import { globalId, type Course, type User } from '../sim/canvas/state.js';
import { STORAGE_SCRIPT, STORAGE_TARGET } from '../sim/canvas/lti/storage-frame.js';
import {
  launchChromiumProfile,
  screenshot,
  type BrowserContext,
  type Page,
} from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';
import { grade } from './launch-grade.js';

/** Two servers on different sites: `top` frames `framed`, which sets a cookie then reads it. */
async function cookieProbe(context: BrowserContext): Promise<string> {
  const framed = createServer((req, res) => {
    if (req.url === '/set') res.setHeader('Set-Cookie', 'probe=1; SameSite=None; Secure; Path=/');
    res.end(`<p id="cookie">${req.headers.cookie ?? 'none'}</p>`);
  });
  const top = createServer((req, res) => res.end(`<iframe name="f" src="${req.url!.slice(1)}">`));
  const listen = (s: Server) =>
    new Promise<number>((resolve) =>
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
    );
  const [framedPort, topPort] = [await listen(framed), await listen(top)];
  try {
    const page = await context.newPage();
    for (const step of ['set', 'read']) {
      await page.goto(`http://127.0.0.1:${topPort}/http://localhost:${framedPort}/${step}`);
      await page.frame({ name: 'f' })!.waitForSelector('#cookie');
    }
    const seen = (await page.frame({ name: 'f' })!.textContent('#cookie'))!;
    await page.close();
    return seen;
  } finally {
    framed.close();
    top.close();
  }
}

describe('the course navigation launch without third-party cookies (Chromium)', function () {
  this.timeout(120_000);
  let h: RelayHarness;
  let sim: CanvasSimulator;
  let tool: LtiTool;
  let blocking: BrowserContext;
  let allowing: BrowserContext;
  let toolUrl: string;
  let clientId: string;
  let course: Course;
  let teacher: User;
  let student: User;

  before(async () => {
    h = await new RelayHarness({ dialect: 'sqlite' }).start();
    sim = await startCanvasSimulator();
    // Another site than the simulator's 127.0.0.1: the tool's cookies are third-party ones.
    const port = await freePort();
    toolUrl = `http://localhost:${port}`;
    tool = await createLtiTool({
      key: 'e2e-lti-key-no-cookies-0123456789',
      databaseUrl: h.database.url,
      publicUrl: toolUrl,
      page: { relayUrl: h.url, signer: h.signer, shardId: '2107' },
      onError: (error) => process.stderr.write(`lti-tool: ${String(error)}\n`),
    });
    await tool.listen(port, '127.0.0.1');
    course = createCourse(sim.state, { name: 'Chemistry 201', course_code: 'CHEM201' });
    teacher = createUser(sim.state, { name: 'Cora Teacher', email: 'cora@example.edu' });
    student = createUser(sim.state, { name: 'Stan Student', email: 'stan@example.edu' });
    enroll(sim.state, { courseId: course.id, userId: teacher.id, type: 'TeacherEnrollment' });
    enroll(sim.state, { courseId: course.id, userId: student.id, type: 'StudentEnrollment' });
    // Tall: the course page frames the tool at 80% of the window, and screenshots show it all.
    const viewport = { width: 1280, height: 2000 };
    blocking = await launchChromiumProfile({ thirdPartyCookies: 'block', viewport });
    allowing = await launchChromiumProfile({ thirdPartyCookies: 'allow', viewport });
  });

  after(async () => {
    await blocking?.close();
    await allowing?.close();
    await tool?.close();
    await sim?.close();
    await h?.stop();
  });

  it('uses browsers that really block, and really allow, third-party cookies', async () => {
    assert.equal(await cookieProbe(blocking), 'none');
    assert.equal(await cookieProbe(allowing), 'probe=1');
  });

  it('installs by dynamic registration from the admin page', async () => {
    const page = await allowing.newPage();
    await page.goto(
      `${sim.url}/accounts/1/developer_keys/dynamic_registration?url=${encodeURIComponent(`${toolUrl}/lti/register`)}`,
    );
    await page.waitForSelector('#registration_status:text("Registration complete")');
    const [platform] = await tool.platforms.list();
    assert.equal(platform?.issuer, sim.url);
    clientId = platform!.clientId;
    await page.close();
  });

  async function launch(context: BrowserContext, user: User): Promise<Page> {
    const page = await context.newPage();
    await page.goto(sim.lti!.coursePageUrl({ courseId: course.id, clientId, userId: user.id }));
    return page;
  }

  async function toolFrame(page: Page) {
    return (await waitFor('the tool in the course page', () =>
      page.frame({ name: 'tool_content' }),
    ))!;
  }

  for (const mode of ['blocked', 'allowed'] as const) {
    it(`completes the launch and renders the course page with third-party cookies ${mode}`, async () => {
      const context = mode === 'blocked' ? blocking : allowing;
      await h.send([grade(course, student, mode === 'blocked' ? 31 : 32, 8)]);
      const page = await launch(context, teacher);
      const frame = await toolFrame(page);
      await frame.waitForSelector('#cds-page, body:has-text("Launch refused")', {
        timeout: 20_000,
      });
      assert.equal(await frame.$('text=Launch refused'), null, (await frame.textContent('body'))!);
      assert.equal(await frame.textContent('h1'), 'Discourse sync: Chemistry 201');
      assert.match((await frame.textContent('#cds-viewing'))!, /Instructor view/);
      // The page reads the course's status with its ltik: the session works without its cookie.
      await frame.waitForSelector('#cds-recent tr[data-state="applied"]', { timeout: 20_000 });
      assert.match(
        (await frame.textContent('#cds-recent tbody'))!,
        new RegExp(`user:${globalId(student.id)}/assignment:${mode === 'blocked' ? 31 : 32}`),
      );
      // Live updates go through the tool with the same ltik.
      await frame.waitForSelector('body[data-live="on"]', { timeout: 20_000 });
      if (mode === 'blocked') {
        const toolCookies = await context.cookies(toolUrl);
        assert.deepEqual(toolCookies, [], 'the browser kept none of the tool cookies');
      }
      await screenshot(page, `lti-no-cookies-${mode}-instructor`);
      await page.close();
    });
  }

  it('refuses a launch whose state in the platform storage was tampered with, saying why', async () => {
    const page = await blocking.newPage();
    // The storage frame of this course page keeps altered values.
    const tampered = STORAGE_SCRIPT.replace(
      'data[slot] = String(m.value);',
      "data[slot] = String(m.value) + '-tampered';",
    );
    assert.notEqual(tampered, STORAGE_SCRIPT, 'the storage script changed');
    await page.route(`**/${STORAGE_TARGET}`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html><body><script>${tampered}</script></body></html>`,
      }),
    );
    await page.goto(sim.lti!.coursePageUrl({ courseId: course.id, clientId, userId: teacher.id }));
    const frame = await toolFrame(page);
    await frame.waitForSelector('h1:text("Launch refused")', { timeout: 20_000 });
    assert.match(
      (await frame.textContent('body'))!,
      /Launch refused: bad state\. The state the platform's storage in this browser holds is not this launch's, so it could be a forged launch\./,
    );
    assert.equal(await frame.$('#cds-page'), null, 'no course page behind a refused launch');
    await screenshot(page, 'lti-no-cookies-refused-tampered-state');
    await page.close();
  });

  it("refuses a launch the platform's state was altered in (bad state), saying why", async () => {
    const page = await blocking.newPage();
    await page.goto(
      sim.lti!.coursePageUrl({
        courseId: course.id,
        clientId,
        userId: teacher.id,
        forge: 'bad_state',
      }),
    );
    const frame = await toolFrame(page);
    await frame.waitForSelector('text=Launch refused', { timeout: 20_000 });
    assert.match((await frame.textContent('body'))!, /Launch refused: bad state\./);
    assert.equal(await frame.$('#cds-page'), null, 'no course page behind a refused launch');
    await page.close();
  });
});
