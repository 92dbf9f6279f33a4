// Sign/verify throughput for single events and batches of 100: what batching buys (DESIGN.md s. 9).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  exampleEvent,
  generateProducerKey,
  importSigner,
  KeyRing,
  signBatch,
  signEvent,
  verifyBatch,
  verifyEventToken,
  type SyncEvent,
} from '@cds/shared';
import { Bench } from 'tinybench';

const BATCH = 100;

export async function benchSigning(): Promise<Record<string, number>> {
  const pair = await generateProducerKey('bench', ['canvas', 'discourse', 'manual']);
  const signer = await importSigner(pair.privateJwk);
  const keys = new KeyRing({ keys: [pair.publicJwk] });
  const events: SyncEvent[] = Array.from({ length: BATCH }, (_, i) => exampleEvent('grade', i));
  const single = await signEvent(events[0]!, signer);
  const batch = await signBatch(events, signer);

  // The peer: Ed25519 straight from node:crypto over a token-sized message, no JOSE around it.
  const raw = generateKeyPairSync('ed25519');
  const message = Buffer.from(single);
  const rawSignature = sign(
    null,
    message,
    createPrivateKey(raw.privateKey.export({ format: 'pem', type: 'pkcs8' })),
  );
  const rawPublic = createPublicKey(raw.publicKey.export({ format: 'pem', type: 'spki' }));

  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add('sign single event (jose)', () => signEvent(events[0]!, signer))
    .add('verify single event (jose)', () => verifyEventToken(single, keys))
    .add(`sign batch of ${BATCH}`, () => signBatch(events, signer))
    .add(`verify batch of ${BATCH}`, () => verifyBatch(batch, keys))
    .add('raw Ed25519 verify (node:crypto)', () => {
      verify(null, message, rawPublic, rawSignature);
    });
  await bench.run();

  const perSecond = (name: string, eventsPerOp: number): number => {
    const task = bench.getTask(name);
    const period = task?.result && 'period' in task.result ? task.result.period : undefined;
    if (!period) throw new Error(`benchmark "${name}" produced no result`);
    return (eventsPerOp * 1000) / period;
  };
  const figures = {
    sign_single_per_s: perSecond('sign single event (jose)', 1),
    verify_single_per_s: perSecond('verify single event (jose)', 1),
    sign_batch100_events_per_s: perSecond(`sign batch of ${BATCH}`, BATCH),
    verify_batch100_events_per_s: perSecond(`verify batch of ${BATCH}`, BATCH),
    raw_ed25519_verify_per_s: perSecond('raw Ed25519 verify (node:crypto)', 1),
  };
  const verifyGain = figures.verify_batch100_events_per_s / figures.verify_single_per_s;
  const signGain = figures.sign_batch100_events_per_s / figures.sign_single_per_s;
  const joseVsRaw = figures.verify_single_per_s / figures.raw_ed25519_verify_per_s;
  return {
    ...figures,
    verify_batch_gain: verifyGain,
    sign_batch_gain: signGain,
    jose_verify_vs_raw_ratio: joseVsRaw,
  };
}
