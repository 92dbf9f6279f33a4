import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  InvalidConfig,
  parseSyncEvent,
  signBatch,
  signEvent,
  type Signer,
  type SyncEvent,
} from '@cds/shared';
import type { CliContext } from './context.js';
import { positiveInteger } from './example.js';
import { DEFAULT_KEYS_DIR, loadProducerSigner } from './keys.js';
import { note, print, progress } from './output.js';

interface ResultLine {
  index: number;
  id?: string;
  status: 'accepted' | 'duplicate' | 'parked' | 'rejected';
  code?: string;
  reason?: string;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON lines (blank lines skipped) as SyncEvents; a bad line is named by its number. */
export function parseEventLines(text: string, source: string): SyncEvent[] {
  const events: SyncEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new InvalidConfig(`${source} line ${i + 1}: not JSON (${(error as Error).message})`);
    }
    try {
      events.push(parseSyncEvent(json));
    } catch (error) {
      throw new InvalidConfig(`${source} line ${i + 1}: ${(error as Error).message}`);
    }
  });
  if (events.length === 0) throw new InvalidConfig(`${source} holds no events (one JSON per line)`);
  return events;
}

async function post(url: string, body: unknown): Promise<ResultLine[]> {
  let response: Response;
  try {
    response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new InvalidConfig(
      `cannot reach the relay at ${url} (${(error as Error).cause ?? (error as Error).message}): is it running ("pnpm start")? Set RELAY_URL or --url otherwise`,
    );
  }
  const answer = (await response.json().catch(() => ({}))) as {
    results?: ResultLine[];
    error?: { message?: string };
  };
  if (!answer.results)
    throw new InvalidConfig(
      `the relay answered HTTP ${response.status}: ${answer.error?.message ?? 'no per-event results'}`,
    );
  return answer.results;
}

/** Signs and posts events one JWS each or in signed batches, calling `onResults` per request. */
export async function sendEvents(
  url: string,
  signer: Signer,
  events: SyncEvent[],
  batchSize: number,
  onResults: (results: ResultLine[], offset: number) => void,
): Promise<void> {
  const step = batchSize > 1 ? batchSize : 1;
  for (let offset = 0; offset < events.length; offset += step) {
    const slice = events.slice(offset, offset + step);
    const body =
      step > 1 ? await signBatch(slice, signer) : { jws: await signEvent(slice[0]!, signer) };
    onResults(await post(url, body), offset);
  }
}

export function registerSend(program: Command, ctx: CliContext): void {
  program
    .command('send')
    .description('sign SyncEvents (JSON lines) as a producer and post them to the relay')
    .argument('<file>', 'a file of JSON lines, or - for standard input')
    .requiredOption('--producer <name>', 'whose key signs them (see "cds keys generate")')
    .option('--batch <n>', 'sign N events per JWS (one signature per batch)')
    .option('--url <url>', 'the relay (default: RELAY_URL, or http://127.0.0.1:PORT)')
    .option('--keys-dir <dir>', 'where private keys are kept', DEFAULT_KEYS_DIR)
    .option('--quiet', 'print only the totals and the events that were not accepted')
    .action(
      async (
        file: string,
        options: {
          producer: string;
          batch?: string;
          url?: string;
          keysDir: string;
          quiet?: boolean;
        },
      ) => {
        const batch = options.batch ? positiveInteger(options.batch, '--batch') : 0;
        const url = (
          options.url ??
          process.env.RELAY_URL ??
          `http://127.0.0.1:${ctx.config.port}`
        ).replace(/\/+$/, '');
        const source = file === '-' ? 'standard input' : file;
        const events = parseEventLines(await readInput(file), source);
        const signer = await loadProducerSigner(options.keysDir, options.producer);
        const counts = { accepted: 0, duplicate: 0, parked: 0, rejected: 0 };
        const bar = events.length >= 500 ? progress('sent') : undefined;
        let sent = 0;
        await sendEvents(url, signer, events, batch, (results, offset) => {
          for (const result of results) {
            counts[result.status] += 1;
            const event = events[offset + result.index];
            const what = event ? `${event.entity} ${event.key}` : '';
            const why = result.reason ? `  ${result.code}: ${result.reason}` : '';
            if (!options.quiet || result.status === 'rejected' || result.status === 'parked')
              print(`${result.status.padEnd(9)} ${result.id ?? '-'}  ${what}${why}`);
          }
          sent += results.length;
          bar?.update(sent, events.length);
        });
        bar?.done();
        note(
          `${events.length} sent to ${url}: ${counts.accepted} accepted, ${counts.duplicate} duplicate, ${counts.parked} parked, ${counts.rejected} rejected`,
        );
        if (counts.rejected > 0) ctx.exitCode = 1;
      },
    );
}
