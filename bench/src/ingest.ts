// The bench's producer side: POSTs signed bodies to the relay's /v1/events and checks that every
// event was accepted (anything else is a bench or relay bug, not a figure).
import { performance } from 'node:perf_hooks';

interface IngestAnswer {
  counts?: { accepted?: number };
  error?: { code: string; message: string };
}

/** POSTs one body; returns when it was sent. Throws unless all `events` were accepted. */
export async function postBody(url: string, body: string, events: number): Promise<number> {
  const sentAt = performance.now();
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  let answer: IngestAnswer = {};
  try {
    answer = JSON.parse(text) as IngestAnswer;
  } catch {
    // reported below with the raw text
  }
  if (response.status !== 202 || answer.counts?.accepted !== events) {
    throw new Error(
      `the relay answered HTTP ${response.status} to ${events} events: ${text.slice(0, 500)}`,
    );
  }
  return sentAt;
}

/**
 * POSTs every body, `inFlight` (default 4) at once, as a busy producer does; returns when each
 * was sent. `sizes[i]` is the number of events in `bodies[i]`.
 */
export async function postAll(
  url: string,
  bodies: readonly string[],
  sizes: readonly number[],
  options: { inFlight?: number; onAnswered?: (events: number) => void } = {},
): Promise<number[]> {
  const sentAt = new Array<number>(bodies.length);
  let next = 0;
  const poster = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      sentAt[i] = await postBody(url, bodies[i]!, sizes[i]!);
      options.onAnswered?.(sizes[i]!);
    }
  };
  const inFlight = Math.min(options.inFlight ?? 4, bodies.length);
  await Promise.all(Array.from({ length: inFlight }, poster));
  return sentAt;
}
