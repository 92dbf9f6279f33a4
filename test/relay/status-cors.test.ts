import assert from 'node:assert/strict';
import { TEST_DIALECTS } from '@cds/relay/testing';
import { RelayHarness } from '../support/relay-harness.js';

// The Discourse plugin's front end calls the status API from the forum's pages: only the origins
// in STATUS_CORS_ORIGINS may, and a preflight needs no credentials.
const FORUM = 'https://forum.example.edu';

for (const dialect of TEST_DIALECTS) {
  describe(`status API from the browser: STATUS_CORS_ORIGINS (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    before(async () => {
      h = await new RelayHarness({ dialect, env: { STATUS_CORS_ORIGINS: `${FORUM}/` } }).start();
    });
    after(async () => {
      await h?.stop();
    });

    const preflight = (origin: string) =>
      fetch(`${h.url}/v1/status/summary`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });

    it("answers the forum's preflight without credentials, allowing the bearer header", async () => {
      const response = await preflight(FORUM);
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), FORUM);
      assert.match(response.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    });

    it('gives another origin no permission, and still asks every request for a token', async () => {
      const other = await preflight('https://evil.example.com');
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const get = await fetch(`${h.url}/v1/status/summary`, { headers: { origin: FORUM } });
      assert.equal(get.status, 401, 'CORS lets the browser ask; the token still decides');
      assert.equal(get.headers.get('access-control-allow-origin'), FORUM);
    });
  });
}
