import { z } from 'zod';
import { SOURCES, type Source } from '../events/entity.js';

/**
 * A version vector: per source, how many of that source's changes to one entity the holder has
 * seen. A missing entry means 0. Decides causality between concurrent edits (DESIGN.md section 4).
 */
export type VersionVector = Partial<Record<Source, number>>;

export const versionVectorSchema: z.ZodType<VersionVector> = z
  .partialRecord(z.enum(SOURCES), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER))
  .describe('version vector, e.g. {"canvas": 3, "discourse": 1}');

export type VectorOrder = 'equal' | 'dominates' | 'dominated' | 'concurrent';

function counter(vv: VersionVector, source: Source): number {
  return vv[source] ?? 0;
}

/** How `a` relates to `b`: `dominates` means `a` has seen everything `b` has, and more. */
export function compareVectors(a: VersionVector, b: VersionVector): VectorOrder {
  let aAhead = false;
  let bAhead = false;
  for (const source of SOURCES) {
    const x = counter(a, source);
    const y = counter(b, source);
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'dominates';
  if (bAhead) return 'dominated';
  return 'equal';
}

/** The least vector that has seen both: pointwise maximum. Zero entries are dropped. */
export function mergeVectors(a: VersionVector, b: VersionVector): VersionVector {
  const merged: VersionVector = {};
  for (const source of SOURCES) {
    const value = Math.max(counter(a, source), counter(b, source));
    if (value > 0) merged[source] = value;
  }
  return merged;
}

/** The vector after one more change by `source`. */
export function incrementVector(vv: VersionVector, source: Source): VersionVector {
  return mergeVectors(vv, { [source]: counter(vv, source) + 1 });
}
