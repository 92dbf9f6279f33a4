import assert from 'node:assert/strict';
import { exampleEvent, generateProducerKey, importSigner, type SyncEvent } from '@cds/shared';
import { WebhookConnector } from '../../relay/src/connectors/webhook/connector.js';
import { RelayHarness } from '../support/relay-harness.js';
import { TargetServer } from '../support/target-server.js';
import { waitFor } from '../support/wait.js';

/** The event ids a receiver applied, sorted. */
const appliedIds = (target: TargetServer) => [...target.appliedCount.keys()].sort();
const ids = (events: SyncEvent[]) => events.map((e) => e.id).sort();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`deliveries follow the policy table's flows (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness | undefined;
    const sides: TargetServer[] = [];
    afterEach(async () => {
      await h?.stop();
      h = undefined;
      for (const side of sides.splice(0)) await side.stop();
    });

    /** A relay with a Canvas-side and a Discourse-side receiver, besides the harness's webhook. */
    async function relayWithSides(env: Record<string, string> = {}) {
      const pair = await generateProducerKey('cds-relay', ['manual']);
      const signer = await importSigner(pair.privateJwk, 'cds-relay');
      const connectors = [];
      for (const side of ['canvas', 'discourse'] as const) {
        const receiver = new TargetServer();
        receiver.trust({ keys: [pair.publicJwk] });
        sides.push(receiver);
        const url = await receiver.start();
        connectors.push(new WebhookConnector({ name: side, side, url, signer }));
      }
      h = await new RelayHarness({ dialect, connectors, env }).start();
      return { harness: h, canvas: sides[0]!, discourse: sides[1]! };
    }

    it('sends a Canvas grade to Discourse only, a Discourse post to Canvas only, and both to the webhook', async () => {
      const { harness, canvas, discourse } = await relayWithSides();
      const grade = exampleEvent('grade', 1);
      const certificate = exampleEvent('certificate', 2);
      const post = exampleEvent('forum_post', 3);
      const discourseBadge = exampleEvent('badge', 4, { source: 'discourse' });
      assert.equal(post.source, 'discourse');
      await harness.send([grade, certificate, post, discourseBadge]);
      await harness.relay.workers!.runBackgroundBatch();
      await waitFor('all four applied', async () => (await harness.eventStates()).applied === 4);

      assert.deepEqual(appliedIds(discourse), ids([grade, certificate]));
      assert.deepEqual(appliedIds(canvas), ids([post, discourseBadge]));
      assert.deepEqual(appliedIds(harness.target), ids([grade, certificate, post, discourseBadge]));
      const [item] = [...canvas.applied.values()].flatMap((d) => d.items);
      assert.ok(item && ['discourse'].includes(item.source), 'each item names its source');
    });

    it('applies at once an event with no target left, delivering nothing', async () => {
      const { harness, canvas, discourse } = await relayWithSides({ OUTBOUND_WEBHOOK_URL: '' });
      // A Canvas forum post would flow only to Canvas: back where it came from.
      const post = exampleEvent('forum_post', 5, { source: 'canvas' });
      await harness.send([post]);
      await harness.relay.workers!.runBackgroundBatch();
      await waitFor('applied', async () => (await harness.eventStates()).applied === 1);
      const deliveries = await harness.relay.store.db
        .selectFrom('deliveries')
        .selectAll()
        .execute();
      assert.deepEqual(deliveries, []);
      assert.equal(canvas.requests.length + discourse.requests.length, 0);
    });
  });
}
