import assert from 'node:assert/strict';
import fc from 'fast-check';
import { merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js';

const hexLeaf = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('Merkle batch seals', () => {
  it('prove every leaf of any tree under its root', () => {
    fc.assert(
      fc.property(fc.array(hexLeaf, { minLength: 1, maxLength: 40 }), (leaves) => {
        const root = merkleRoot(leaves);
        leaves.forEach((leaf, index) =>
          assert.ok(verifyMerkleProof(leaf, merkleProof(leaves, index), root)),
        );
      }),
    );
  });

  it('reject a leaf that is not in the tree', () => {
    fc.assert(
      fc.property(
        fc.array(hexLeaf, { minLength: 1, maxLength: 20 }),
        hexLeaf,
        (leaves, stranger) => {
          fc.pre(!leaves.includes(stranger));
          const root = merkleRoot(leaves);
          assert.equal(verifyMerkleProof(stranger, merkleProof(leaves, 0), root), false);
        },
      ),
    );
  });

  it('change the root when any leaf changes or the order changes', () => {
    const leaves = ['a', 'b', 'c'].map((c) => c.repeat(64));
    assert.notEqual(merkleRoot(leaves), merkleRoot([leaves[0]!, leaves[2]!, leaves[1]!]));
    assert.notEqual(merkleRoot(leaves), merkleRoot([leaves[0]!, leaves[1]!, 'd'.repeat(64)]));
  });

  it('refuse an empty batch', () => {
    assert.throws(() => merkleRoot([]), /at least one leaf/);
  });
});
