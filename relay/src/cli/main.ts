// `cds`: the relay's command line for admins (keys, sending, dead letters, replays, conflicts,
// links, audit).
import { Command, CommanderError } from 'commander';
import { isCdsError } from '@cds/shared';
import { registerAudit } from './audit.js';
import { registerConflicts } from './conflicts.js';
import { CliContext } from './context.js';
import { registerDlq } from './dlq.js';
import { registerExample } from './example.js';
import { registerKeys } from './keys.js';
import { registerLinks } from './links.js';
import { registerMap } from './map.js';
import { registerReplay } from './replay.js';
import { registerSend } from './send.js';

/** Runs one `cds` command line; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  const program = new Command('cds')
    .description(
      'canvas-discourse-sync relay administration. Uses the relay settings from the environment (see README).',
    )
    .exitOverride()
    .showHelpAfterError();
  registerKeys(program, ctx);
  registerSend(program, ctx);
  registerExample(program);
  registerMap(program, ctx);
  registerDlq(program, ctx);
  registerReplay(program, ctx);
  registerConflicts(program, ctx);
  registerLinks(program, ctx);
  registerAudit(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander printed it already
    // Expected failures say what to fix; anything else is a bug worth its stack.
    process.stderr.write(
      `cds: ${isCdsError(error) ? error.message : String((error as Error).stack ?? error)}\n`,
    );
    return 1;
  } finally {
    await ctx.close();
  }
}
