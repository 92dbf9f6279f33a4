import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  CANVAS_MAPPED_EVENTS,
  isCdsError,
  mapCanvasLiveEvent,
  type CanvasMapOptions,
  type CanvasMapResult,
} from '@cds/shared';
import type { CliContext } from './context.js';
import { note, print } from './output.js';

/** Exit code for input that is not what the command reads (DESIGN.md section 8). */
const EXIT_MALFORMED = 2;

/** The input is not what `cds map` reads; the message names what is wrong. */
class MalformedInput extends Error {}

async function readInput(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw new MalformedInput(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * The Live Events a file holds: one `{metadata, body}`, or a Canvas reference document
 * (doc/api/data_services/json/canvas/event-types/*.json: `{name, examples: [{payload}]}`).
 */
function liveEventsIn(text: string, source: string): Array<{ label: string; event: unknown }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MalformedInput(`${source} is not JSON (${(error as Error).message})`);
  }
  const doc = json as { examples?: unknown };
  if (typeof json !== 'object' || json === null || !('examples' in json))
    return [{ label: source, event: json }];
  if (!Array.isArray(doc.examples) || doc.examples.length === 0)
    throw new MalformedInput(`${source} is a reference document without examples`);
  return doc.examples.map((example, i) => ({
    label: `${source} example ${i + 1}`,
    event: (example as { payload?: unknown } | null)?.payload,
  }));
}

export function registerMap(program: Command, ctx: CliContext): void {
  const map = program
    .command('map')
    .description('print the SyncEvents a platform payload maps to (unsigned, one JSON per line)');

  map
    .command('canvas')
    .description(
      `map a Canvas Live Event {metadata, body}, or a reference document's examples; mapped: ${Object.keys(CANVAS_MAPPED_EVENTS).join(', ')}`,
    )
    .argument('<file>', 'a JSON file, or - for standard input')
    .option('--course <id>', 'the course of events whose metadata has no Course context')
    .option(
      '--certificate-courses <ids>',
      'comma-separated course ids whose completion issues a certificate',
    )
    .action(async (file: string, options: { course?: string; certificateCourses?: string }) => {
      const source = file === '-' ? 'standard input' : file;
      const mapOptions: CanvasMapOptions = {
        ...(options.course && { defaultCourseId: options.course }),
        certificateCourses: (options.certificateCourses ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      };
      const results: CanvasMapResult[] = [];
      try {
        for (const { label, event } of liveEventsIn(await readInput(file), source)) {
          try {
            results.push(await mapCanvasLiveEvent(event, mapOptions));
          } catch (error) {
            if (isCdsError(error) && error.code === 'ERR_INVALID_EVENT')
              throw new MalformedInput(`${label}: ${error.message}`);
            throw error;
          }
        }
      } catch (error) {
        if (!(error instanceof MalformedInput)) throw error;
        note(`cds map canvas: ${error.message}`);
        ctx.exitCode = EXIT_MALFORMED;
        return;
      }
      // Printed only once every event mapped: malformed input prints nothing on stdout.
      for (const result of results) {
        if ('skipped' in result) print(JSON.stringify({ skipped: result.skipped }));
        else for (const event of result.events) print(JSON.stringify(event));
      }
    });

  map
    .command('discourse')
    .description('map a Discourse webhook body (not yet available)')
    .argument('<file>', 'a JSON file, or - for standard input')
    .option('--event <type>', 'the webhook event type (X-Discourse-Event)')
    .action(() => {
      note(
        'cds map discourse: not yet: the Discourse webhook mapping is not built; only "cds map canvas" is',
      );
      ctx.exitCode = EXIT_MALFORMED;
    });
}
