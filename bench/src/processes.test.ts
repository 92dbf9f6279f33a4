import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { RELAY_NODE_FLAGS } from '@cds/relay';

describe('bench: the relay runs as pnpm start runs it', () => {
  it('pnpm start gives the relay the same node flags as the bench children', () => {
    const root = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      scripts: Record<string, string>;
    };
    const relayCommand = root.scripts.start!.split('&&').at(-1)!.trim();
    assert.ok(RELAY_NODE_FLAGS.length > 0);
    assert.equal(
      relayCommand,
      // The embedded default's entry runs the relay (and the LTI tool) in one process.
      `node ${RELAY_NODE_FLAGS.join(' ')} --import tsx lti-tool/src/app/start.ts`,
      'package.json "start" and RELAY_NODE_FLAGS (relay/src/runtime.ts) must agree',
    );
  });
});
