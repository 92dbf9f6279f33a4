import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareVectors,
  incrementVector,
  mergeVectors,
  type VersionVector,
} from './version-vector.js';

const counterArb = fc.nat({ max: 6 });
const vectorArb: fc.Arbitrary<VersionVector> = fc.record(
  { canvas: counterArb, discourse: counterArb, manual: counterArb },
  { requiredKeys: [] },
);

describe('version vectors', () => {
  describe('compareVectors', () => {
    it('orders a vector after one more change as dominating the original', () => {
      assert.equal(
        compareVectors({ canvas: 2, discourse: 1 }, { canvas: 1, discourse: 1 }),
        'dominates',
      );
      assert.equal(compareVectors({ canvas: 1 }, { canvas: 1, discourse: 1 }), 'dominated');
    });

    it('treats missing entries as zero', () => {
      assert.equal(compareVectors({ canvas: 1, discourse: 0 }, { canvas: 1 }), 'equal');
    });

    it('calls edits that saw different changes concurrent', () => {
      assert.equal(compareVectors({ canvas: 2 }, { discourse: 1 }), 'concurrent');
    });

    it('is antisymmetric: a dominates b exactly when b is dominated by a', () => {
      const flip = {
        dominates: 'dominated',
        dominated: 'dominates',
        equal: 'equal',
        concurrent: 'concurrent',
      } as const;
      fc.assert(
        fc.property(
          vectorArb,
          vectorArb,
          (a, b) => compareVectors(b, a) === flip[compareVectors(a, b)],
        ),
      );
    });
  });

  describe('mergeVectors', () => {
    it('is commutative', () => {
      fc.assert(
        fc.property(vectorArb, vectorArb, (a, b) =>
          assert.deepEqual(mergeVectors(a, b), mergeVectors(b, a)),
        ),
      );
    });

    it('is associative', () => {
      fc.assert(
        fc.property(vectorArb, vectorArb, vectorArb, (a, b, c) =>
          assert.deepEqual(
            mergeVectors(mergeVectors(a, b), c),
            mergeVectors(a, mergeVectors(b, c)),
          ),
        ),
      );
    });

    it('is idempotent', () => {
      fc.assert(
        fc.property(vectorArb, (a) => assert.equal(compareVectors(mergeVectors(a, a), a), 'equal')),
      );
    });

    it('gives a vector that has seen both inputs', () => {
      fc.assert(
        fc.property(vectorArb, vectorArb, (a, b) => {
          const merged = mergeVectors(a, b);
          assert.ok(['dominates', 'equal'].includes(compareVectors(merged, a)));
          assert.ok(['dominates', 'equal'].includes(compareVectors(merged, b)));
        }),
      );
    });
  });

  it('incrementVector makes a vector that dominates the one it came from', () => {
    fc.assert(
      fc.property(
        vectorArb,
        fc.constantFrom('canvas', 'discourse', 'manual' as const),
        (a, source) => assert.equal(compareVectors(incrementVector(a, source), a), 'dominates'),
      ),
    );
  });
});
