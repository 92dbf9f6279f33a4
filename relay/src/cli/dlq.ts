import type { Command } from 'commander';
import { InvalidConfig } from '@cds/shared';
import {
  discardDeadLetters,
  listDeadLetters,
  replayDeadLetters,
  showDeadLetter,
} from '../ops/dead-letters.js';
import type { DeadLetterStatus } from '../store/dead-letters.js';
import type { CliContext } from './context.js';
import { formatTime, note, print, printJson, printTable } from './output.js';

// 'delivered': replayed, then taken by the target.
const STATUSES = [
  'open',
  'replayed',
  'delivered',
  'discarded',
] as const satisfies readonly DeadLetterStatus[];

const isStatus = (text: string): text is DeadLetterStatus =>
  (STATUSES as readonly string[]).includes(text);

/** The event ids to act on: those named, or with --all every open dead letter. */
async function chooseIds(ctx: CliContext, ids: string[], all?: boolean): Promise<string[]> {
  if (all && ids.length > 0) throw new InvalidConfig('give event ids or --all, not both');
  if (!all && ids.length === 0)
    throw new InvalidConfig('name the event ids to act on (see "cds dlq list"), or use --all');
  if (!all) return ids;
  const letters = await listDeadLetters(await ctx.store(), { status: 'open', limit: 100_000 });
  return [...new Set(letters.map((l) => l.event_id))];
}

export function registerDlq(program: Command, ctx: CliContext): void {
  const dlq = program
    .command('dlq')
    .description(
      'the dead-letter queue: deliveries a target refused for good, or still failing at the end of their retry window',
    );

  dlq
    .command('list')
    .description('dead letters, newest first')
    .option('--status <status>', `one of ${STATUSES.join(', ')}`, 'open')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (options: { status: string; limit: string; json?: boolean }) => {
      const status = options.status;
      if (!isStatus(status))
        throw new InvalidConfig(`--status must be one of ${STATUSES.join(', ')}`);
      const letters = await listDeadLetters(await ctx.store(), {
        status,
        limit: Number(options.limit),
      });
      if (options.json) return printJson(letters);
      printTable(
        letters.map((l) => ({
          event: l.event_id,
          target: l.target,
          entity: l.entity,
          key: l.key,
          attempts: l.attempts,
          since: formatTime(l.updated_at),
          last_error: l.last_error.slice(0, 80),
        })),
        `no ${options.status} dead letters`,
      );
    });

  dlq
    .command('show')
    .description('one dead-lettered event: the event, each delivery and its last error')
    .argument('<event-id>')
    .action(async (eventId: string) => {
      const letter = await showDeadLetter(await ctx.store(), eventId);
      if (!letter)
        throw new InvalidConfig(`no dead letter for event ${eventId}: see "cds dlq list"`);
      printJson(letter);
    });

  dlq
    .command('replay')
    .description('deliver dead-lettered events again, with a fresh retry budget (audited)')
    .argument('[event-ids...]')
    .option('--all', 'every open dead letter')
    .action(async (ids: string[], options: { all?: boolean }) => {
      const chosen = await chooseIds(ctx, ids, options.all);
      const replayed = await replayDeadLetters(await ctx.store(), ctx.queues(), chosen, ctx.actor);
      print(`replayed ${replayed} event(s); follow them with "cds dlq list" or the status API`);
      if (replayed < chosen.length)
        note(`${chosen.length - replayed} of the named events had no open dead letter`);
    });

  dlq
    .command('discard')
    .description('give up on dead-lettered events for good (audited; they stay in the log)')
    .argument('[event-ids...]')
    .option('--all', 'every open dead letter')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .action(async (ids: string[], options: { all?: boolean; reason: string }) => {
      const chosen = await chooseIds(ctx, ids, options.all);
      const discarded = await discardDeadLetters(
        await ctx.store(),
        chosen,
        ctx.actor,
        options.reason,
      );
      print(`discarded ${discarded} event(s)`);
    });
}
