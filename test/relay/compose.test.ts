// createRelay builds without listening, so another app (the LTI tool) can share its process
// (issue 8, section 5; DESIGN.md section 5b).
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRelay, listenRelay, loadConfig, type Relay } from '@cds/relay';
import { exampleEvent, signEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

describe('a relay composed into another app', function () {
  this.timeout(30_000);
  let h: RelayHarness;
  let relay: Relay | undefined;
  let server: Server | undefined;
  before(async () => {
    // The harness provides the database, keys and target; its own relay is not used here.
    h = await new RelayHarness({ dialect: 'sqlite' }).start();
  });
  after(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await relay?.close();
    await h?.stop();
  });

  it('does not listen by itself, and serves ingest from the outer app beside its routes', async () => {
    relay = await createRelay({
      config: loadConfig({ ...h.env, QUEUE_PREFIX: `${h.prefix}-composed` }),
    });
    assert.equal(relay.server, undefined);
    assert.ok(relay.app);
    const outer = express();
    outer.get('/lti/hello', (_req, res) => {
      res.json({ tool: 'lti' });
    });
    outer.use(relay.app);
    server = await new Promise<Server>((resolve) => {
      const s = outer.listen(0, () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.deepEqual(await (await fetch(`${url}/lti/hello`)).json(), { tool: 'lti' });
    const grade = exampleEvent('grade', 900);
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jws: await signEvent(grade, h.signer) }),
    });
    assert.equal(response.status, 202);
    await waitFor('the composed relay applies it', () => h.target.appliedCount.get(grade.id) === 1);
  });

  it('refuses to listen for a worker-only relay, with the reason', async () => {
    const worker = await createRelay({
      config: loadConfig({ ...h.env, QUEUE_PREFIX: `${h.prefix}-worker` }),
      role: 'worker',
    });
    try {
      assert.equal(worker.app, undefined);
      await assert.rejects(listenRelay(worker, 0), /no HTTP app: its role is "worker"/);
    } finally {
      await worker.close();
    }
  });
});
