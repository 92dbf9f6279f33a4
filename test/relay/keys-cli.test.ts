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

    /** `cds example ENTITY [args] | cds send --producer PRODUCER -`, as an admin types it. */
    const exampleAndSend = async (producer: string, example: string[]) =>
      cds(
        ['send', '--producer', producer, '--keys-dir', keysDir, '-'],
        env,
        (await cds(['example', ...example], env)).stdout,
      );

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
      const sent = await exampleAndSend('lti', ['grade', '--count', '3']);
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
      const refused = await exampleAndSend('discourse', ['grade']);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /rejected .*ERR_FORBIDDEN/);
      const accepted = await exampleAndSend('discourse', ['forum_post']);
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
      const sent = await exampleAndSend('lti', ['grade']);
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      // Once the grace period is over the relay notices on its next read, and audits it once.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await exampleAndSend('lti', ['grade', '--start', '50']);
      await waitFor('key.retired audited', async () =>
        (await auditActions(oldKid)).includes('key.retired'),
      );
      assert.deepEqual(await auditActions(oldKid), ['key.generated', 'key.retired']);
    });
  });
}
