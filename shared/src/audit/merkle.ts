import { createHash } from 'node:crypto';

/**
 * Merkle trees over hex SHA-256 leaves, for sealing a background batch in the audit log: one root
 * in the chain proves every event of the batch (DESIGN.md section 5). Leaves and inner nodes are
 * domain-separated (RFC 6962 style) so an inner node can never pass for a leaf.
 */
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const leafHash = (leaf: string): string => sha256(`0:${leaf}`);
const nodeHash = (left: string, right: string): string => sha256(`1:${left}:${right}`);

/** One step of an inclusion proof: the sibling hash and which side it sits on. */
export interface MerkleStep {
  side: 'left' | 'right';
  hash: string;
}

function nextLevel(level: string[]): string[] {
  const next: string[] = [];
  for (let i = 0; i < level.length; i += 2) {
    // An odd node out is promoted unchanged, so no leaf is ever duplicated.
    next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
  }
  return next;
}

/** The root over `leaves` in order. */
export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  let level = leaves.map(leafHash);
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

/** The sibling path that proves `leaves[index]` is under the root. */
export function merkleProof(leaves: readonly string[], index: number): MerkleStep[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`no leaf at index ${index}`);
  const proof: MerkleStep[] = [];
  let level = leaves.map(leafHash);
  let position = index;
  while (level.length > 1) {
    const sibling = position % 2 === 0 ? position + 1 : position - 1;
    if (sibling < level.length)
      proof.push({ side: position % 2 === 0 ? 'right' : 'left', hash: level[sibling]! });
    level = nextLevel(level);
    position = Math.floor(position / 2);
  }
  return proof;
}

/** True when `leaf` with `proof` leads to `root`. */
export function verifyMerkleProof(
  leaf: string,
  proof: readonly MerkleStep[],
  root: string,
): boolean {
  let hash = leafHash(leaf);
  for (const step of proof)
    hash = step.side === 'left' ? nodeHash(step.hash, hash) : nodeHash(hash, step.hash);
  return hash === root;
}
