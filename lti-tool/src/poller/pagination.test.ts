import assert from 'node:assert/strict';
import { nextLink } from './canvas-rest.js';

describe('Canvas REST pagination', () => {
  it('follows only rel="next" of a Link header', () => {
    const link =
      '<https://c.test/api/v1/x?page=bookmark:abc&per_page=10>; rel="next",<https://c.test/api/v1/x?page=first&per_page=10>; rel="first"';
    assert.equal(nextLink(link), 'https://c.test/api/v1/x?page=bookmark:abc&per_page=10');
    assert.equal(nextLink('<https://c.test/x?page=1>; rel="first"'), undefined);
  });
});
