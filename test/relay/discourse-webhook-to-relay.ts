// Points the Discourse simulator's webhook at a relay's intake through Discourse's real admin API
// (POST /admin/api/web_hooks.json), as the plugin or an admin does: every event, JSON, signed.
import assert from 'node:assert/strict';

export async function webhookToRelay(
  sim: { url: string; apiKey: string },
  relayUrl: string,
  secret: string,
): Promise<void> {
  const res = await fetch(`${sim.url}/admin/api/web_hooks.json`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Api-Key': sim.apiKey,
      'Api-Username': 'system',
    },
    body: JSON.stringify({
      web_hook: {
        payload_url: `${relayUrl}/v1/intake/discourse`,
        content_type: 1,
        secret,
        active: true,
        wildcard_web_hook: true,
      },
    }),
  });
  assert.equal(res.status, 200, await res.text());
}
