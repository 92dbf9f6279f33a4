import type { Command } from 'commander';
import { InvalidConfig } from '@cds/shared';
import { parseDuration } from '../config.js';
import { EVENT_STATES, type EventState } from '../db/schema.js';
import { replayWindow } from '../ops/replay.js';
import type { CliContext } from './context.js';
import { print, progress } from './output.js';

/** An ISO 8601 time, or a duration meaning "that long ago" (`2h`, `7d`). */
export function parseInstant(text: string, name: string, now = Date.now()): number {
  if (/^\d+(ms|s|m|h|d)$/.test(text)) return now - parseDuration(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new InvalidConfig(
      `${name} "${text}" is neither a time (2026-11-25T08:00:00Z) nor a duration ago (2h, 7d)`,
    );
  return ms;
}

export function registerReplay(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description(
      'take events received in a window back through the pipeline (parked ones by default, e.g. after adding a schema mapping); audited',
    )
    .requiredOption('--since <time>', 'from (inclusive): an ISO time or a duration ago, e.g. 2h')
    .option('--until <time>', 'to (exclusive): an ISO time or a duration ago', '0s')
    .option(
      '--state <states>',
      `comma-separated states to take (${EVENT_STATES.join(', ')})`,
      'parked',
    )
    .action(async (options: { since: string; until: string; state: string }) => {
      const since = parseInstant(options.since, '--since');
      const until = parseInstant(options.until, '--until') + (options.until === '0s' ? 1 : 0);
      if (since >= until) throw new InvalidConfig('--since must be before --until');
      const states = options.state.split(',').map((s) => s.trim());
      const unknown = states.filter((s) => !(EVENT_STATES as readonly string[]).includes(s));
      if (unknown.length > 0)
        throw new InvalidConfig(
          `unknown state(s) ${unknown.join(', ')}: use ${EVENT_STATES.join(', ')}`,
        );
      const bar = progress('replayed');
      const count = await replayWindow(
        await ctx.store(),
        ctx.queues(),
        { since, until, states: states as EventState[] },
        ctx.actor,
        (done, total) => bar.update(done, total),
      );
      bar.done();
      print(
        `replayed ${count} event(s) received ${new Date(since).toISOString()} .. ${new Date(until).toISOString()}`,
      );
    });
}
