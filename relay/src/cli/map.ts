import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  CANVAS_MAPPED_EVENTS,
  DISCOURSE_MAPPED_EVENTS,
  isCdsError,
  mapCanvasLiveEvent,
  mapDiscourseWebhook,
  staticDiscourseLookup,
  type CanvasMapOptions,
  type CanvasMapResult,
  type DiscourseMapOptions,
  type DiscourseMapResult,
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
    .description(
      `map a Discourse webhook body ({"post": {...}} and the like) given its event; mapped: ${Object.keys(DISCOURSE_MAPPED_EVENTS).join(', ')}`,
    )
    .argument('<file>', 'a JSON file, or - for standard input')
    .requiredOption(
      '--event <name>',
      'the webhook event: the X-Discourse-Event header, e.g. post_created',
    )
    .option(
      '--links <file>',
      'JSON links: {"categories": {"12": "565"}, "users": {...}, "topics": {...}, "first_posts": {...}, "badges": {...}}',
    )
    .option(
      '--received-at <time>',
      'ISO 8601 arrival time, for events whose payload has no change time (user_updated, user_badge_revoked); default now',
    )
    .option('--discourse-url <url>', 'the Discourse base URL, to make avatar URLs absolute')
    .action(
      async (
        file: string,
        options: { event: string; links?: string; receivedAt?: string; discourseUrl?: string },
      ) => {
        const source = file === '-' ? 'standard input' : file;
        let result: DiscourseMapResult;
        try {
          const mapOptions: DiscourseMapOptions = {
            ...(options.links && { lookup: staticDiscourseLookup(await readJson(options.links)) }),
            ...(options.receivedAt && { receivedAt: parseTime(options.receivedAt) }),
            ...(options.discourseUrl && { discourseUrl: options.discourseUrl }),
          };
          const body = parseJson(await readInput(file), source);
          result = await mapDiscourseWebhook(options.event, body, mapOptions);
        } catch (error) {
          // Malformed input, a wrong links file or --received-at: exit 2 with the reason.
          let reason: string | undefined;
          if (error instanceof MalformedInput) reason = error.message;
          else if (isCdsError(error) && error.code === 'ERR_INVALID_EVENT')
            reason = `${source}: ${error.message}`;
          else if (isCdsError(error) && error.code === 'ERR_INVALID_CONFIG')
            reason = `${options.links ?? 'links'}: ${error.message}`;
          if (reason === undefined) throw error;
          note(`cds map discourse: ${reason}`);
          ctx.exitCode = EXIT_MALFORMED;
          return;
        }
        if ('skipped' in result) print(JSON.stringify({ skipped: result.skipped }));
        else for (const event of result.events) print(JSON.stringify(event));
      },
    );
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedInput(`${source} is not JSON (${(error as Error).message})`);
  }
}

async function readJson(file: string): Promise<unknown> {
  return parseJson(await readInput(file), file);
}

function parseTime(text: string): number {
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new MalformedInput(`--received-at "${text}" is not an ISO 8601 time`);
  return time;
}
