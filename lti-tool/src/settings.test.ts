import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLtiSettings } from './settings.js';

describe('the LTI tool settings', () => {
  const KEY = 'k'.repeat(32);

  it('defaults LTI_PORT to 8081, the public URL to it and DATABASE_URL to the relay default', () => {
    assert.deepEqual(loadLtiSettings({ LTI_KEY: KEY }), {
      port: 8081,
      publicUrl: 'http://localhost:8081',
      databaseUrl: 'sqlite:./data/cds.sqlite',
      key: KEY,
      keyFile: './data/keys/lti.key',
      relayUrl: 'http://127.0.0.1:8080',
      toolKeyPath: './data/keys/lti-tool.private.jwk.json',
      shardId: undefined,
      canvas: { url: undefined, apiToken: undefined },
      liveEvents: { jwksUrl: undefined, allowUnsigned: false },
      poll: { courses: [], intervalMs: 300_000 },
      certificateCourses: [],
      writer: {
        relayJwksUrl: 'http://127.0.0.1:8080/.well-known/jwks.json',
        platform: { issuer: undefined, clientId: undefined },
        forumPostsForFullMarks: 10,
        retryAfterMs: 30_000,
      },
    });
  });

  it('takes RELAY_URL (else the relay on PORT) and LTI_TOOL_KEY for the course page', () => {
    assert.equal(loadLtiSettings({ LTI_KEY: KEY, PORT: '9090' }).relayUrl, 'http://127.0.0.1:9090');
    const s = loadLtiSettings({
      LTI_KEY: KEY,
      RELAY_URL: 'https://relay.example.edu/',
      LTI_TOOL_KEY: '/etc/cds/lti-tool.private.jwk.json',
    });
    assert.equal(s.relayUrl, 'https://relay.example.edu');
    assert.equal(s.toolKeyPath, '/etc/cds/lti-tool.private.jwk.json');
    assert.throws(
      () => loadLtiSettings({ LTI_KEY: KEY, RELAY_URL: 'relay:8080' }),
      /RELAY_URL must be an http\(s\) URL/,
    );
  });

  it('takes LTI_PUBLIC_URL without its trailing slash', () => {
    const s = loadLtiSettings({ LTI_KEY: KEY, LTI_PUBLIC_URL: 'https://lti.example.edu/' });
    assert.equal(s.publicUrl, 'https://lti.example.edu');
  });

  describe('when LTI_KEY is missing or short', () => {
    it('refuses with ERR_INVALID_CONFIG, naming LTI_KEY and how to make one', () => {
      const none = join(tmpdir(), `no-such-dir-${process.pid}`, 'lti.key');
      for (const env of [{}, { LTI_KEY: '' }, { LTI_KEY: 'short' }])
        assert.throws(
          () => loadLtiSettings({ ...env, LTI_KEY_FILE: none }),
          (error: Error & { code?: string }) =>
            error.code === 'ERR_INVALID_CONFIG' &&
            /LTI_KEY (is not set|must be at least 16 characters)/.test(error.message) &&
            /openssl rand -hex 32/.test(error.message),
        );
    });
  });

  describe('when LTI_KEY is unset and LTI_KEY_FILE exists', () => {
    it('reads the key from the file, as `pnpm start` made it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'lti-key-'));
      try {
        const file = join(dir, 'lti.key');
        writeFileSync(file, `${'f'.repeat(64)}\n`);
        assert.equal(loadLtiSettings({ LTI_KEY_FILE: file }).key, 'f'.repeat(64));
        assert.equal(loadLtiSettings({ LTI_KEY_FILE: file, LTI_KEY: KEY }).key, KEY);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Canvas capture and writes', () => {
    it('reads every Canvas setting, with the relay JWKS beside RELAY_URL by default', () => {
      const s = loadLtiSettings({
        LTI_KEY: KEY,
        RELAY_URL: 'https://relay.example.edu',
        CANVAS_URL: 'https://school.instructure.com/',
        CANVAS_API_TOKEN: 'token',
        CANVAS_LIVE_EVENTS_JWKS_URL: 'https://canvas.example/jwks',
        CANVAS_LIVE_EVENTS_UNSIGNED: 'allow',
        CANVAS_POLL_COURSES: '21070000000000565, 566',
        CANVAS_POLL_INTERVAL: '30s',
        CANVAS_CERTIFICATE_COURSES: '565,21070000000000566',
        CANVAS_SHARD_ID: '2107',
        CANVAS_PLATFORM_ISSUER: 'https://canvas.instructure.com',
        FORUM_PARTICIPATION_POSTS: '5',
        CANVAS_RETRY_AFTER: '7',
      });
      assert.deepEqual(s.canvas, { url: 'https://school.instructure.com', apiToken: 'token' });
      assert.deepEqual(s.liveEvents, {
        jwksUrl: 'https://canvas.example/jwks',
        allowUnsigned: true,
      });
      assert.deepEqual(s.poll, { courses: ['21070000000000565', '566'], intervalMs: 30_000 });
      assert.equal(s.shardId, '2107');
      assert.deepEqual(s.certificateCourses, ['565', '21070000000000566']);
      assert.equal(s.writer.relayJwksUrl, 'https://relay.example.edu/.well-known/jwks.json');
      assert.equal(s.writer.platform.issuer, 'https://canvas.instructure.com');
      assert.equal(s.writer.forumPostsForFullMarks, 5);
      assert.equal(s.writer.retryAfterMs, 7000);
    });

    it('names the variable and the fix for each wrong Canvas setting', () => {
      assert.throws(
        () => loadLtiSettings({ LTI_KEY: KEY, CANVAS_POLL_COURSES: '21070000000000565' }),
        (e: Error & { code?: string }) =>
          e.code === 'ERR_INVALID_CONFIG' && /CANVAS_URL and CANVAS_API_TOKEN/.test(e.message),
      );
      assert.throws(
        () =>
          loadLtiSettings({
            LTI_KEY: KEY,
            CANVAS_LIVE_EVENTS_UNSIGNED: 'yes',
            CANVAS_CERTIFICATE_COURSES: 'CS101',
            CANVAS_POLL_INTERVAL: 'often',
            CANVAS_URL: 'school',
          }),
        (e: Error) =>
          /CANVAS_LIVE_EVENTS_UNSIGNED must be "allow"/.test(e.message) &&
          /CANVAS_POLL_INTERVAL "often" is not a duration/.test(e.message) &&
          /CANVAS_CERTIFICATE_COURSES must be Canvas course ids/.test(e.message) &&
          /CANVAS_URL must be an http\(s\) URL/.test(e.message),
      );
    });
  });

  it('refuses a public URL that is not http(s), naming LTI_PUBLIC_URL', () => {
    assert.throws(
      () => loadLtiSettings({ LTI_KEY: KEY, LTI_PUBLIC_URL: 'lti.example.edu' }),
      /LTI_PUBLIC_URL must be an http\(s\) URL/,
    );
  });
});
