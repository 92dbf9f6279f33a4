import type { Command } from 'commander';
import { InvalidConfig } from '@cds/shared';
import { listConflicts, resolveConflict } from '../ops/conflicts.js';
import type { CliContext } from './context.js';
import { formatTime, print, printJson, printTable } from './output.js';

const SIDES = ['canvas', 'discourse'] as const;

export function registerConflicts(program: Command, ctx: CliContext): void {
  const conflicts = program
    .command('conflicts')
    .description('concurrent edits that wait for a person (DESIGN.md section 4)');

  conflicts
    .command('list')
    .description('conflicts, newest first')
    .option('--status <status>', 'open or resolved', 'open')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (options: { status: string; limit: string; json?: boolean }) => {
      if (options.status !== 'open' && options.status !== 'resolved')
        throw new InvalidConfig('--status must be open or resolved');
      const rows = await listConflicts(await ctx.store(), options.status, Number(options.limit));
      if (options.json) return printJson(rows);
      printTable(
        rows.map((c) => ({
          id: c.id,
          entity: c.entity,
          key: c.key,
          fields: c.fields.join(',') || '(whole)',
          events: c.event_ids.length,
          since: formatTime(c.created_at),
          ...(options.status === 'resolved' ? { resolution: c.resolution ?? '' } : {}),
        })),
        `no ${options.status} conflicts`,
      );
    });

  conflicts
    .command('resolve')
    .description("settle a conflict by taking one side's version (audited); it is then synced")
    .argument('<conflict-id>')
    .requiredOption('--take <side>', SIDES.join(' or '))
    .action(async (conflictId: string, options: { take: string }) => {
      if (!(SIDES as readonly string[]).includes(options.take))
        throw new InvalidConfig(`--take must be ${SIDES.join(' or ')} (got "${options.take}")`);
      const policies = ctx.config.policies;
      const eventId = await resolveConflict(
        await ctx.store(),
        ctx.queues(),
        conflictId,
        options.take as (typeof SIDES)[number],
        ctx.actor,
        (entity) => policies[entity].tier,
      );
      print(
        `resolved ${conflictId}: took ${options.take}; event ${eventId} carries it to both sides`,
      );
    });
}
