import { generateProducerKey, importSigner, type Signer } from '@cds/shared';
import type { JSONWebKeySet } from 'jose';
import { WebhookConnector } from '../../relay/src/connectors/webhook/connector.js';
import { TargetServer } from '../support/target-server.js';
import { connectorConformance } from './conformance.js';

// The relay's key, made once: the receiver verifies every delivery with its public half.
let relayKey: Promise<{ signer: Signer; jwks: JSONWebKeySet }> | undefined;
function key() {
  relayKey ??= generateProducerKey('cds-relay', ['manual']).then(async (pair) => ({
    signer: await importSigner(pair.privateJwk, 'cds-relay'),
    jwks: { keys: [pair.publicJwk] },
  }));
  return relayKey;
}

connectorConformance('the outbound webhook', {
  async receiver() {
    const target = new TargetServer();
    target.trust((await key()).jwks);
    return target;
  },
  async connector(url, { timeoutMs }) {
    return new WebhookConnector({
      name: 'webhook-1',
      url,
      signer: (await key()).signer,
      timeoutMs,
    });
  },
});

connectorConformance('a webhook that writes to one side (the LTI tool)', {
  async receiver() {
    const target = new TargetServer();
    target.trust((await key()).jwks);
    return target;
  },
  async connector(url, { timeoutMs }) {
    const { signer } = await key();
    return new WebhookConnector({ name: 'canvas', side: 'canvas', url, signer, timeoutMs });
  },
});
