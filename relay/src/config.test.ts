import assert from 'node:assert/strict';
import { loadConfig, parseDuration } from './config.js';

describe('relay settings', () => {
  it('apply the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.databaseUrl, 'sqlite:./data/cds.sqlite');
    assert.equal(config.trustedJwks, './data/keys/trusted.jwks.json');
    assert.equal(config.backgroundBatchIntervalMs, 3_600_000);
    assert.equal(config.maxBodyBytes, 1024 * 1024);
    assert.deepEqual(config.outboundWebhookUrls, []);
    assert.equal(config.adminToken, undefined);
  });

  it('read a list of outbound webhook URLs and a batch interval in seconds', () => {
    const config = loadConfig({
      OUTBOUND_WEBHOOK_URL: 'http://a.test/hook, https://b.test/x',
      BACKGROUND_BATCH_INTERVAL: '2s',
    });
    assert.deepEqual(config.outboundWebhookUrls, ['http://a.test/hook', 'https://b.test/x']);
    assert.equal(config.backgroundBatchIntervalMs, 2000);
  });

  it('read CANVAS_DELIVERY_URL, the Canvas side target, unset by default', () => {
    assert.equal(loadConfig({}).canvasDeliveryUrl, undefined);
    const url = 'https://lti.example.edu/v1/deliveries';
    assert.equal(loadConfig({ CANVAS_DELIVERY_URL: url }).canvasDeliveryUrl, url);
    assert.throws(
      () => loadConfig({ CANVAS_DELIVERY_URL: 'lti.example.edu' }),
      /CANVAS_DELIVERY_URL: must be an http\(s\) URL/,
    );
  });

  it("read DISCOURSE_TOKEN_SECRET, the plugin's token key, at least 32 characters", () => {
    assert.equal(loadConfig({}).discourseTokenSecret, undefined);
    const secret = 'discourse-token-secret-0123456789-abcdef';
    assert.equal(loadConfig({ DISCOURSE_TOKEN_SECRET: secret }).discourseTokenSecret, secret);
    assert.throws(
      () => loadConfig({ DISCOURSE_TOKEN_SECRET: 'short' }),
      /DISCOURSE_TOKEN_SECRET: must be at least 32 characters: the Discourse plugin's cds_sync_token_secret/,
    );
  });

  it('read STATUS_CORS_ORIGINS as origins only, none by default', () => {
    assert.deepEqual(loadConfig({}).statusCorsOrigins, []);
    assert.deepEqual(
      loadConfig({ STATUS_CORS_ORIGINS: 'https://forum.example.edu/, http://localhost:4200' })
        .statusCorsOrigins,
      ['https://forum.example.edu', 'http://localhost:4200'],
    );
    assert.throws(
      () => loadConfig({ STATUS_CORS_ORIGINS: 'https://forum.example.edu/admin' }),
      /STATUS_CORS_ORIGINS.*must be an origin like https:\/\/forum.example.edu/,
    );
  });

  it('name every wrong variable and how to fix it', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'eighty',
          BACKGROUND_BATCH_INTERVAL: 'hourly',
          REDIS_URL: 'localhost:6379',
          RELAY_ADMIN_TOKEN: 'short',
          TARGET_RATE_LIMIT: '0',
        }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_INVALID_CONFIG');
        assert.match(error.message, /PORT: /);
        assert.match(
          error.message,
          /BACKGROUND_BATCH_INTERVAL: "hourly" is not a duration: use a number and a unit/,
        );
        assert.match(error.message, /REDIS_URL: must start with redis:\/\//);
        assert.match(error.message, /RELAY_ADMIN_TOKEN: must be at least 16 characters/);
        assert.match(error.message, /TARGET_RATE_LIMIT: /);
        return true;
      },
    );
  });

  it('refuse a policy override that is not JSON, or names no entity', () => {
    assert.throws(
      () => loadConfig({ POLICY_OVERRIDES: '{grade' }),
      /POLICY_OVERRIDES: must be JSON/,
    );
    assert.throws(
      () => loadConfig({ POLICY_OVERRIDES: '{"homework":{}}' }),
      /policy override .*homework/,
    );
  });

  it('parse durations with their units', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.throws(() => parseDuration('5 minutes'), /is not a duration/);
  });
});
