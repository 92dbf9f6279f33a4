// `cds map discourse --event NAME FILE` as an admin runs it (issue 11, DESIGN.md section 8): one JSON
// SyncEvent per line or {"skipped": reason}, exit 0; malformed input exits 2 with the reason.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMappings, parseSyncEvent, type SyncEvent } from '@cds/shared';
import { cds } from '../support/cds.js';
import { POST } from './discourse-post.js';

const env: Record<string, string> = {};
const registry = defaultMappings();

describe('cds map discourse', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'cds-map-discourse-'));
  const links = join(dir, 'links.json');
  const post = join(dir, 'post.json');
  writeFileSync(links, JSON.stringify({ categories: { '12': '565' } }));
  writeFileSync(post, JSON.stringify(POST));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the forum_post of a post in a linked category, the same from a file and stdin', async () => {
    const run = await cds(
      ['map', 'discourse', '--event', 'post_created', '--links', links, post],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const event = parseSyncEvent(JSON.parse(lines[0]!));
    registry.toCanonical(event);
    assert.equal(event.source, 'discourse');
    assert.equal(event.entity, 'forum_post');
    assert.equal(event.key, 'topic:800/post:5001');
    const fromStdin = await cds(
      ['map', 'discourse', '--event', 'post_created', '--links', links, '-'],
      env,
      JSON.stringify(POST),
    );
    assert.equal(fromStdin.stdout, run.stdout, 'a redelivered webhook maps to the same ids');
  });

  it('prints {"skipped"} with the reason: an unlinked category, an unmapped event', async () => {
    const unlinked = await cds(['map', 'discourse', '--event', 'post_created', post], env);
    assert.equal(unlinked.code, 0, unlinked.stderr);
    assert.equal(unlinked.stdout, '{"skipped":"category 12 is not linked to a Canvas course"}\n');
    const ping = await cds(['map', 'discourse', '--event', 'ping', '-'], env, '{"ping":"OK"}');
    assert.equal(ping.code, 0, ping.stderr);
    assert.deepEqual(JSON.parse(ping.stdout) as SyncEvent, {
      skipped: 'no sync entity for Discourse webhook event "ping"',
    });
  });

  it('exits 2 on malformed input, naming what is wrong, and prints nothing', async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [['--event', 'post_created', '-'], '{"post": ', /standard input is not JSON/],
      [['--event', 'post_created', '-'], '{"topic": {}}', /must be \{"post": \{\.\.\.\}\}/],
      [
        ['--event', 'post_created', '-'],
        JSON.stringify({ post: { ...POST.post, topic_id: 'x' } }),
        /invalid post_created payload: post\.topic_id/,
      ],
      [['--event', 'Post Created', '-'], '{}', /not a Discourse webhook event name/],
      [['--event', 'user_updated', '--received-at', 'soon', '-'], '{}', /--received-at "soon"/],
      [
        ['--event', 'post_created', '--links', post, '-'],
        '{}',
        /invalid Discourse links: \(root\): Unrecognized key: "post"/,
      ],
    ];
    for (const [args, input, message] of cases) {
      const run = await cds(['map', 'discourse', ...args], env, input);
      assert.equal(run.code, 2, `${args.join(' ')} ${input}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
  });
});
