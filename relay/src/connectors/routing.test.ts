import assert from 'node:assert/strict';
import { DEFAULT_POLICIES } from '@cds/shared';
import { targetsFor } from './routing.js';

describe('routing an applied event', () => {
  const targets = [
    { name: 'canvas', side: 'canvas' as const },
    { name: 'discourse', side: 'discourse' as const },
    { name: 'webhook-1' },
  ];

  it('sends a Discourse forum post to Canvas and the observers, never back to Discourse', () => {
    assert.deepEqual(targetsFor(DEFAULT_POLICIES.forum_post, 'discourse', targets), [
      'canvas',
      'webhook-1',
    ]);
  });

  it('sends a Canvas grade to Discourse and the observers, not to Canvas', () => {
    assert.deepEqual(targetsFor(DEFAULT_POLICIES.grade, 'canvas', targets), [
      'discourse',
      'webhook-1',
    ]);
  });

  it('leaves only the observers when the entity flows nowhere else', () => {
    // A forum post that came from Canvas (say, an announcement mirrored as one) has nowhere to go.
    assert.deepEqual(targetsFor(DEFAULT_POLICIES.forum_post, 'canvas', targets), ['webhook-1']);
    assert.deepEqual(targetsFor(DEFAULT_POLICIES.forum_post, 'canvas', targets.slice(0, 2)), []);
  });
});
