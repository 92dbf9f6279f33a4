// `cds keys` as an admin uses it (issue 8, section 1): the README's first-run check, --sources,
// and every key change in the audit log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cds } from '../support/cds.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

interface TrustedFile {
  keys: Array<{ kid: string; producer?: string; sources?: string[]; retire_at?: number }>;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`cds keys (${dialect})`, function () {
    this.timeout(90_000);
    let h: RelayHarness;
    let env: Record<string, string>;
    let keysDir: string;
    beforeEach(async () => {
      h = await new RelayHarness({ dialect }).start();
      env = { ...h.env, RELAY_URL: h.url };
      keysDir = mkdtempSync(join(tmpdir(), 'cds-keys-'));
    });
    afterEach(async () => {
      await h?.stop();
    });

    const trusted = () => JSON.parse(readFileSync(h.env.TRUSTED_JWKS!, 'utf8')) as TrustedFile;
    const auditActions = async (subject: string) =>
      (
        await h.relay.store.db
          .selectFrom('audit')
          .select('action')
          .where('subject', '=', subject)
          .orderBy('seq')
          .execute()
      ).map((r) => r.action);

    it("passes the README's first-run check: generate, then send at once", async () => {
      const generated = await cds(
        [
          'keys',
          'generate',
          '--producer',
          'lti',
          '--sources',
          'canvas,manual',
          '--keys-dir',
          keysDir,
        ],
        env,
      );
      assert.equal(generated.code, 0, generated.stderr);
      assert.match(generated.stdout, /sources: +canvas, manual/);
      const example = await cds(['example', 'grade', '--count', '3'], env);
      const sent = await cds(
        ['send', '--producer', 'lti', '--keys-dir', keysDir, '-'],
        env,
        example.stdout,
      );
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      assert.equal(sent.stdout.match(/^accepted /gm)?.length, 3);
      const jwk = trusted().keys.find((k) => k.producer === 'lti')!;
      assert.deepEqual(jwk.sources, ['canvas', 'manual']);
      assert.deepEqual(await auditActions(jwk.kid), ['key.generated']);
    });

    it('requires --sources for a producer not named after a source, and checks the list', async () => {
      const missing = await cds(
        ['keys', 'generate', '--producer', 'lms-bridge', '--keys-dir', keysDir],
        env,
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /producer "lms-bridge" needs the sources it may send/);
      const wrong = await cds(
        [
          'keys',
          'generate',
          '--producer',
          'lms-bridge',
          '--sources',
          'canvas,moodle',
          '--keys-dir',
          keysDir,
        ],
        env,
      );
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /--sources has unknown source\(s\) moodle/);
      assert.equal(
        trusted().keys.some((k) => k.producer === 'lms-bridge'),
        false,
      );
    });

    it('a discourse key may send only discourse events', async () => {
      const generated = await cds(
        ['keys', 'generate', '--producer', 'discourse', '--keys-dir', keysDir],
        env,
      );
      // A second discourse key beside the harness's (its private half is in another directory).
      assert.equal(generated.code, 0, generated.stderr);
      const grade = await cds(['example', 'grade'], env);
      const refused = await cds(
        ['send', '--producer', 'discourse', '--keys-dir', keysDir, '-'],
        env,
        grade.stdout,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /rejected .*ERR_FORBIDDEN/);
      const post = await cds(['example', 'forum_post'], env);
      const accepted = await cds(
        ['send', '--producer', 'discourse', '--keys-dir', keysDir, '-'],
        env,
        post.stdout,
      );
      assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    });

    it('rotates with the old sources, audits it, and audits the retirement when the grace ends', async () => {
      await cds(
        ['keys', 'generate', '--producer', 'lti', '--sources', 'canvas', '--keys-dir', keysDir],
        env,
      );
      const oldKid = trusted().keys.find((k) => k.producer === 'lti')!.kid;
      const rotated = await cds(
        ['keys', 'rotate', '--producer', 'lti', '--grace', '1s', '--keys-dir', keysDir],
        env,
      );
      assert.equal(rotated.code, 0, rotated.stderr);
      const keys = trusted().keys.filter((k) => k.producer === 'lti');
      const fresh = keys.find((k) => k.kid !== oldKid)!;
      assert.deepEqual(fresh.sources, ['canvas']);
      assert.deepEqual(await auditActions(fresh.kid), ['key.rotated']);
      // Usable at once, right after the rotation.
      const example = await cds(['example', 'grade'], env);
      const sent = await cds(
        ['send', '--producer', 'lti', '--keys-dir', keysDir, '-'],
        env,
        example.stdout,
      );
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      // Once the grace period is over the relay notices on its next read, and audits it once.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const late = await cds(['example', 'grade', '--start', '50'], env);
      await cds(['send', '--producer', 'lti', '--keys-dir', keysDir, '-'], env, late.stdout);
      await waitFor('key.retired audited', async () =>
        (await auditActions(oldKid)).includes('key.retired'),
      );
      assert.deepEqual(await auditActions(oldKid), ['key.generated', 'key.retired']);
    });
  });
}
