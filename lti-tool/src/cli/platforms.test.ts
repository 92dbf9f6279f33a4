// `cds lti platforms add|list|remove` through the real `cds` command (a child process, as an
// admin runs it), on both databases, with the tool reading what the CLI wrote.
import assert from 'node:assert/strict';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { cds } from '../../../test/support/cds.js';
import { createLtiTool } from '../tool.js';

const KEY = 'test-lti-key-0123456789abcdef';

const PLATFORM = ['--issuer', 'https://canvas.instructure.com', '--client-id', '10000000000001'];
const ENDPOINTS = [
  '--auth-url',
  'https://sso.canvaslms.com/api/lti/authorize_redirect',
  '--token-url',
  'https://sso.canvaslms.com/login/oauth2/token',
  '--jwks-url',
  'https://sso.canvaslms.com/api/lti/security/jwks',
];

for (const dialect of TEST_DIALECTS) {
  describe(`cds lti platforms (${dialect})`, function () {
    this.timeout(90_000);
    let database: TestDatabase;
    let env: Record<string, string>;
    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      env = { DATABASE_URL: database.url, LTI_KEY: KEY };
    });
    afterEach(async () => {
      await database.dispose();
    });

    it('adds a platform, lists it, adds a deployment, removes it, saying what it did', async () => {
      const add = await cds(
        ['lti', 'platforms', 'add', ...PLATFORM, '--deployment-id', '1:abc', ...ENDPOINTS],
        env,
      );
      assert.equal(add.code, 0, add.stderr);
      assert.match(
        add.stdout,
        /registered platform https:\/\/canvas\.instructure\.com \(client id 10000000000001\)/,
      );
      assert.match(add.stdout, /deployment 1:abc: added/);

      // A second deployment of a known platform needs no endpoints.
      const more = await cds(
        ['lti', 'platforms', 'add', ...PLATFORM, '--deployment-id', '2:def'],
        env,
      );
      assert.equal(more.code, 0, more.stderr);
      assert.match(more.stdout, /was registered already/);
      assert.match(more.stdout, /deployment 2:def: added/);

      const list = await cds(['lti', 'platforms', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const [record, ...others] = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
      assert.equal(others.length, 0);
      assert.equal(record!.issuer, 'https://canvas.instructure.com');
      assert.equal(record!.jwksUrl, 'https://sso.canvaslms.com/api/lti/security/jwks');
      assert.deepEqual(record!.deploymentIds, ['1:abc', '2:def']);

      // The tool finds what the CLI wrote.
      const tool = await createLtiTool({
        key: KEY,
        databaseUrl: database.url,
        publicUrl: 'http://localhost:8081',
      });
      try {
        assert.equal(
          await tool.platforms.hasDeployment(
            'https://canvas.instructure.com',
            '10000000000001',
            '2:def',
          ),
          true,
        );
      } finally {
        await tool.close();
      }

      const remove = await cds(['lti', 'platforms', 'remove', ...PLATFORM], env);
      assert.equal(remove.code, 0, remove.stderr);
      assert.match(
        remove.stdout,
        /removed platform https:\/\/canvas\.instructure\.com \(client id 10000000000001\).* 2 deployment\(s\)/,
      );
      const empty = await cds(['lti', 'platforms', 'list'], env);
      assert.match(empty.stdout, /no platforms registered/);
      const again = await cds(['lti', 'platforms', 'remove', ...PLATFORM], env);
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        /no platform https:\/\/canvas\.instructure\.com with client id 10000000000001/,
      );
    });

    describe('when a flag is missing or wrong', () => {
      it('exits 2 naming the missing flag', async () => {
        const run = await cds(['lti', 'platforms', 'add', ...PLATFORM, ...ENDPOINTS], env);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /--deployment-id/);
      });

      it('exits 2 naming the endpoints a new platform needs', async () => {
        const run = await cds(
          ['lti', 'platforms', 'add', ...PLATFORM, '--deployment-id', '1:abc'],
          env,
        );
        assert.equal(run.code, 2);
        assert.match(run.stderr, /--auth-url, --token-url, --jwks-url required/);
      });

      it('exits 2 naming a flag that is not a URL', async () => {
        const run = await cds(
          [
            'lti',
            'platforms',
            'add',
            '--issuer',
            'canvas',
            '--client-id',
            '1',
            '--deployment-id',
            'd',
            ...ENDPOINTS,
          ],
          env,
        );
        assert.equal(run.code, 2);
        assert.match(run.stderr, /--issuer must be an http\(s\) URL \(got "canvas"\)/);
      });
    });

    it('refuses to run without LTI_KEY, saying how to set it', async () => {
      const run = await cds(['lti', 'platforms', 'list'], {
        DATABASE_URL: database.url,
        LTI_KEY: '',
      });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /LTI_KEY is not set/);
    });
  });
}
