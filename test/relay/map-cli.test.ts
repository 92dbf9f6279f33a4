// `cds map canvas FILE` as an admin runs it (issue 10, DESIGN.md section 8): one JSON SyncEvent per
// line or {"skipped": reason}, exit 0; malformed input exits 2 with the reason on stderr.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultMappings, parseSyncEvent, type SyncEvent } from '@cds/shared';
import { cds } from '../support/cds.js';

const REFERENCE = fileURLToPath(
  new URL('../../../shared/reference/canvas-lms/live-events/', import.meta.url),
);
const env: Record<string, string> = {};
const registry = defaultMappings();

/** Each stdout line as JSON: SyncEvents are checked as the relay's ingest checks them. */
function lines(stdout: string): Array<SyncEvent | { skipped: string }> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const json = JSON.parse(line) as SyncEvent | { skipped: string };
      if ('skipped' in json) return json;
      registry.toCanonical(parseSyncEvent(json));
      return json;
    });
}
const entities = (stdout: string) =>
  lines(stdout).map((line) => ('skipped' in line ? 'skipped' : line.entity));

describe('cds map canvas', function () {
  this.timeout(60_000);

  it('maps a reference document, every example, one line each', async () => {
    const run = await cds(['map', 'canvas', `${REFERENCE}metadata.excerpt.json`], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(entities(run.stdout), ['grade', 'skipped', 'skipped', 'skipped']);
    assert.deepEqual(lines(run.stdout)[3], {
      skipped: 'no sync entity for Live Event "asset_accessed"',
    });
  });

  it('reads a bare Live Event from standard input, giving the ids of the same event in a file', async () => {
    const file = `${REFERENCE}course_completed.json`;
    const payload = (JSON.parse(readFileSync(file, 'utf8')) as { examples: { payload: unknown }[] })
      .examples[0]!.payload;
    const args = ['map', 'canvas', '--certificate-courses', '565,900'];
    const fromStdin = await cds([...args, '-'], env, JSON.stringify(payload));
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.deepEqual(entities(fromStdin.stdout), ['course_completion', 'certificate']);
    const fromFile = await cds([...args, file], env);
    assert.equal(fromFile.stdout, fromStdin.stdout, 'a redelivered event maps to the same ids');
  });

  it('prints {"skipped"} for an event without a course, and maps it given --course', async () => {
    const file = `${REFERENCE}submission_created.json`;
    const bare = await cds(['map', 'canvas', file], env);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /^\{"skipped":"Live Event \\"submission_created\\" names no course/);
    const withCourse = await cds(['map', 'canvas', '--course', '565', file], env);
    assert.equal(withCourse.code, 0, withCourse.stderr);
    const [event] = lines(withCourse.stdout) as SyncEvent[];
    assert.equal(event!.key, 'course:565/user:21070000000014012/submission:21070000012345567');
  });

  it('exits 2 on malformed input, naming what is wrong, and prints nothing', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"metadata": ', /standard input is not JSON/],
      ['{"hello": "world"}', /invalid Canvas Live Event: metadata: .*body: /],
      [
        JSON.stringify({
          metadata: { event_name: 'grade_change', event_time: '2019-11-01T19:11:05.222Z' },
          body: { assignment_id: 355 },
        }),
        /invalid grade_change body: body\.submission_id: .*body\.assignment_id: /,
      ],
    ];
    for (const [input, message] of cases) {
      const run = await cds(['map', 'canvas', '-'], env, input);
      assert.equal(run.code, 2, `${input}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
    const missing = await cds(['map', 'canvas', '/nonexistent/event.json'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read \/nonexistent\/event\.json: ENOENT/);
  });
});
