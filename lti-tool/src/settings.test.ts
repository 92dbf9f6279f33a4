import assert from 'node:assert/strict';
import { loadLtiSettings } from './settings.js';

describe('the LTI tool settings', () => {
  const KEY = 'k'.repeat(32);

  it('defaults LTI_PORT to 8081, the public URL to it and DATABASE_URL to the relay default', () => {
    assert.deepEqual(loadLtiSettings({ LTI_KEY: KEY }), {
      port: 8081,
      publicUrl: 'http://localhost:8081',
      databaseUrl: 'sqlite:./data/cds.sqlite',
      key: KEY,
      relayUrl: 'http://127.0.0.1:8080',
      toolKeyPath: './data/keys/lti-tool.private.jwk.json',
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
      for (const env of [{}, { LTI_KEY: '' }, { LTI_KEY: 'short' }])
        assert.throws(
          () => loadLtiSettings(env),
          (error: Error & { code?: string }) =>
            error.code === 'ERR_INVALID_CONFIG' &&
            /LTI_KEY (is not set|must be at least 16 characters)/.test(error.message) &&
            /openssl rand -hex 32/.test(error.message),
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
