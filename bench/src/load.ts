// What the bench sends: events signed by one producer key, in batches of 100 as producers post
// them, prepared before a clock starts. Every event of a run has a key of its own: a key seen
// twice could be decided stale, and a stale event is never delivered, so it would look lost.
import {
  exampleEvent,
  generateProducerKey,
  importSigner,
  signBatch,
  signEvent,
  type EntityType,
  type Signer,
} from '@cds/shared';

/** Events per signed batch (one POST). */
export const BATCH = 100;

let nextSeq = 1;

export interface Producer {
  signer: Signer;
  /** The TRUSTED_JWKS document that lists its public key. */
  jwks: string;
}

/** The bench's producer, allowed every source the events below come from. */
export async function createProducer(): Promise<Producer> {
  const pair = await generateProducerKey('bench', ['canvas', 'discourse', 'manual']);
  return {
    signer: await importSigner(pair.privateJwk),
    jwks: JSON.stringify({ keys: [pair.publicJwk] }),
  };
}

export interface SignedLoad {
  /** The body of each POST. */
  bodies: string[];
  /** The event ids of each body. */
  ids: string[][];
  total: number;
}

/** `count` events, cycling through `entities`, signed in batches of BATCH. */
export async function signLoad(
  producer: Producer,
  entities: readonly EntityType[],
  count: number,
): Promise<SignedLoad> {
  const bodies: string[] = [];
  const ids: string[][] = [];
  for (let i = 0; i < count; i += BATCH) {
    const chunk = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) =>
      exampleEvent(entities[(i + j) % entities.length]!, nextSeq++),
    );
    bodies.push(JSON.stringify(await signBatch(chunk, producer.signer)));
    ids.push(chunk.map((e) => e.id));
  }
  return { bodies, ids, total: count };
}

/** One event signed alone, as a producer sends an urgent change: `{"jws": ...}`. */
export async function signSingle(
  producer: Producer,
  entity: EntityType,
): Promise<{ body: string; id: string }> {
  const event = exampleEvent(entity, nextSeq++);
  return { body: JSON.stringify({ jws: await signEvent(event, producer.signer) }), id: event.id };
}
