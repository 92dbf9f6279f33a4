// The LTI tool's course page in a real headless Chromium, against the Canvas simulator and a real
// relay (Redis + SQLite/PostgreSQL): dynamic registration from Canvas's admin page, OIDC login and
// launch from course navigation (the tool in the course page's iframe), the course's status,
// live updates, a conflict resolved from the page, "Sync now"; then launches the tool must
// refuse, each with its reason in words, and a student who gets only their own status.
import assert from 'node:assert/strict';
import { createLtiTool, type LtiTool } from '@cds/lti-tool';
import { TEST_DIALECTS } from '@cds/relay/testing';
import { exampleEvent, type SyncEvent } from '@cds/shared';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { createCourse, createUser, enroll } from '../sim/canvas/mutations.js';
import { globalId, type Course, type User } from '../sim/canvas/state.js';
import { launchChromium, screenshot, type Browser, type Page } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';
import { grade } from './launch-grade.js';

/** Keys carry global Canvas ids, as Live Events and the poller make them. */
const SHARD = '2107';

/** The same page edited in Canvas and in Discourse, neither knowing the other: a conflict. */
function concurrentEdits(course: Course, pageId: number): SyncEvent[] {
  return (['canvas', 'discourse'] as const).map((side) => {
    const e = exampleEvent('content_edit', 1, { source: side, vv: { [side]: 1 } });
    const payload = {
      ...e.payload,
      origin: 'canvas',
      course_id: globalId(course.id),
      content_type: 'page',
      content_id: String(pageId),
      title: `Week 1 reading (${side})`,
      body_html: `<p>Edited in ${side}</p>`,
    };
    return { ...e, key: `course:${globalId(course.id)}/page:${pageId}`, payload };
  });
}

for (const dialect of TEST_DIALECTS) {
  describe(`the course page in Chromium (${dialect})`, function () {
    this.timeout(120_000);
    let h: RelayHarness;
    let sim: CanvasSimulator;
    let tool: LtiTool;
    let browser: Browser;
    let toolUrl: string;
    let clientId: string;
    let course: Course;
    let teacher: User;
    let student: User;
    let other: User;

    before(async () => {
      // content_edit is a background entity (hourly batches): decided at once here, so the
      // conflict shows while the test waits.
      h = await new RelayHarness({
        dialect,
        env: { POLICY_OVERRIDES: JSON.stringify({ content_edit: { tier: 'high' } }) },
      }).start();
      sim = await startCanvasSimulator();
      // 127.0.0.1 for both: the same site, as a tool on the school's domain; SameSite=None
      // cookies need https, which the tests do not have.
      const port = await freePort();
      toolUrl = `http://127.0.0.1:${port}`;
      tool = await createLtiTool({
        key: 'e2e-lti-key-0123456789abcdef',
        databaseUrl: h.database.url,
        publicUrl: toolUrl,
        // The simulator's launch sends local ids ($Canvas.course.id): CANVAS_SHARD_ID makes them global.
        page: { relayUrl: h.url, signer: h.signer, shardId: SHARD },
        onError: (error) => process.stderr.write(`lti-tool: ${String(error)}\n`),
      });
      await tool.listen(port);
      course = createCourse(sim.state, { name: 'Biology 101', course_code: 'BIO101' });
      teacher = createUser(sim.state, { name: 'Ada Teacher', email: 'ada@example.edu' });
      student = createUser(sim.state, { name: 'Sam Student', email: 'sam@example.edu' });
      other = createUser(sim.state, { name: 'Olive Other', email: 'olive@example.edu' });
      enroll(sim.state, { courseId: course.id, userId: teacher.id, type: 'TeacherEnrollment' });
      enroll(sim.state, { courseId: course.id, userId: student.id, type: 'StudentEnrollment' });
      enroll(sim.state, { courseId: course.id, userId: other.id, type: 'StudentEnrollment' });
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await tool?.close();
      await sim?.close();
      await h?.stop();
    });

    async function toolFrame(page: Page) {
      const frame = (await waitFor('the tool in the course page', () =>
        page.frame({ name: 'tool_content' }),
      ))!;
      await frame.waitForSelector('#cds-page', { timeout: 20_000 });
      return frame;
    }

    it('installs by dynamic registration from the admin page', async () => {
      const page = await browser.newPage();
      await page.goto(
        `${sim.url}/accounts/1/developer_keys/dynamic_registration?url=${encodeURIComponent(`${toolUrl}/lti/register`)}`,
      );
      await page.waitForSelector('#registration_status:text("Registration complete")');
      await screenshot(page, `lti-${dialect}-1-registered`);
      const [platform] = await tool.platforms.list();
      assert.equal(platform?.issuer, sim.url);
      clientId = platform!.clientId;
      // The simulator answers the registration with the deployment it made (DR 1.0 section 3.6.2
      // allows it); Canvas does not, and an admin runs `cds lti platforms add --deployment-id`,
      // whose effect is this call: the deployment is known either way, and adding it is a no-op.
      const deployment = sim.lti!.store.deploymentFor(clientId, course.id)!.deploymentId;
      const added = await tool.platforms.add({
        issuer: sim.url,
        clientId,
        deploymentIds: [deployment],
      });
      assert.deepEqual(added.deploymentsAdded, []);
      assert.deepEqual(platform!.deploymentIds, [deployment]);
      await page.close();
    });

    it("shows an instructor the course's status, live, and resolves a conflict and syncs from it", async () => {
      await h.send([grade(course, student, 11, 7)]);
      // Tall: the course page frames the tool at 80% of the window, and screenshots show it all.
      const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
      await page.goto(
        sim.lti!.coursePageUrl({ courseId: course.id, clientId, userId: teacher.id }),
      );
      const frame = await toolFrame(page);
      assert.equal(await frame.textContent('h1'), 'Discourse sync: Biology 101');
      assert.match((await frame.textContent('#cds-viewing'))!, /Instructor view/);
      assert.equal(await frame.textContent('#cds-category'), 'not linked yet');
      await frame.waitForSelector('#cds-recent tr[data-state="applied"]');
      const row = (await frame.textContent('#cds-recent tbody'))!;
      assert.match(
        row,
        new RegExp(
          `Grade course:${globalId(course.id)}/user:${globalId(student.id)}/assignment:11`,
        ),
      );
      assert.match(row, /synced/);
      await frame.waitForSelector('body[data-live="on"]');

      // Live: a conflict made now appears without a reload.
      const edits = concurrentEdits(course, 9001);
      await h.send(edits);
      await frame.waitForSelector('#cds-conflicts li', { timeout: 20_000 });
      assert.match(
        (await frame.textContent('#cds-conflicts'))!,
        new RegExp(
          `Page or announcement course:${globalId(course.id)}/page:9001 was changed in Canvas and in Discourse`,
        ),
      );
      await screenshot(page, `lti-${dialect}-2-instructor-conflict`);

      await frame.click('#cds-conflicts li >> text=Take Canvas');
      await frame.waitForSelector(`#cds-notice:has-text("Conflict resolved: Canvas's version")`);
      await frame.waitForSelector('text=No conflicts.');
      const conflicts = await h.relay.store.db.selectFrom('conflicts').select(['status']).execute();
      assert.deepEqual(
        conflicts.map((c) => c.status),
        ['resolved'],
      );

      await frame.click('text=Sync now');
      await frame.waitForSelector(
        '#cds-notice:has-text("Sync requested: the relay took the request")',
      );
      const manual = await h.relay.store.db
        .selectFrom('events')
        .select(['source', 'entity', 'key', 'producer'])
        .where('source', '=', 'manual')
        .where('entity', '=', 'sync_request')
        .execute();
      assert.deepEqual(manual, [
        {
          source: 'manual',
          entity: 'sync_request',
          key: `course:${globalId(course.id)}/sync:course`,
          producer: h.signer.producer,
        },
      ]);
      await screenshot(page, `lti-${dialect}-3-instructor-synced`);
      await page.close();
    });

    it('shows a student only their own sync status and refuses them the instructor actions', async () => {
      await h.send([grade(course, student, 21, 9), grade(course, other, 22, 3)]);
      // Tall: the course page frames the tool at 80% of the window, and screenshots show it all.
      const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
      await page.goto(
        sim.lti!.coursePageUrl({ courseId: course.id, clientId, userId: student.id }),
      );
      const frame = await toolFrame(page);
      assert.match((await frame.textContent('#cds-viewing'))!, /Student view/);
      await frame.waitForSelector('#cds-recent');
      const text = (await frame.textContent('#cds-status'))!;
      assert.match(text, new RegExp(`user:${globalId(student.id)}/assignment:21`));
      assert.doesNotMatch(text, new RegExp(`user:${globalId(other.id)}/`));
      assert.doesNotMatch(text, /Conflicts|Failed deliveries|page:9001/);
      assert.equal(await frame.$('text=Sync now'), null);
      // The instructor's actions, called with the student's own launch: refused, with the reason.
      // (A string: the test's type check has no DOM library.)
      const refused = (await frame.evaluate(`(async () => {
        const { ltik } = JSON.parse(document.getElementById('cds-config').textContent);
        const response = await fetch('/lti/page/sync', {
          method: 'POST',
          headers: { authorization: 'Bearer ' + ltik, 'content-type': 'application/json' },
          body: '{}',
        });
        return { status: response.status, body: await response.json() };
      })()`)) as { status: number; body: { error: { message: string } } };
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /Only the course's instructors can start a sync/);
      await screenshot(page, `lti-${dialect}-4-student`);
      await page.close();
    });

    const refusals = {
      wrong_aud: /Launch refused: wrong audience\. The id_token is for client id "10000000099999"/,
      wrong_iss:
        /Launch refused: wrong issuer\. The id_token says it comes from https:\/\/wrong-issuer\.invalid/,
      expired: /Launch refused: expired id_token\./,
      reused_nonce: /Launch refused: replayed launch\./,
      bad_state: /Launch refused: bad state\./,
      unknown_deployment:
        /deployment ".*" of .* which is not registered with this tool\. An administrator can allow it with: cds lti platforms add/,
    } as const;
    for (const [forge, expected] of Object.entries(refusals)) {
      it(`refuses a launch with ${forge.replace('_', ' ')}, saying why`, async () => {
        const page = await browser.newPage();
        if (forge === 'reused_nonce') {
          // ltijs remembers the nonces of launches it accepted: replay the one of a good launch.
          await page.goto(
            sim.lti!.launchUrl({ courseId: course.id, clientId, userId: teacher.id }),
          );
          await page.waitForSelector('#cds-page');
        }
        const response = await page.goto(
          sim.lti!.launchUrl({
            courseId: course.id,
            clientId,
            userId: teacher.id,
            forge: forge as keyof typeof refusals,
          }),
        );
        assert.ok(response);
        await page.waitForSelector('h1');
        const text = (await page.textContent('body'))!;
        assert.match(text, expected);
        assert.equal(await page.$('#cds-page'), null, 'no course page behind a refused launch');
        await screenshot(page, `lti-${dialect}-refused-${forge}`);
        await page.close();
      });
    }
  });
}
