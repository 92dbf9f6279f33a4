// `cds lti ...`, run by the `cds` entry point (relay/bin/cds.mjs). It lives here, not in the
// relay's CLI, because @cds/lti-tool depends on @cds/relay: the relay importing it back would be
// a package cycle.
import { Command, CommanderError } from 'commander';
import { isCdsError } from '@cds/shared';
import { registerPlatforms } from './platforms.js';

/** Runs one `cds lti ...` command line; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = new Command('cds').exitOverride().showHelpAfterError();
  const lti = program
    .command('lti')
    .description('the LTI tool: platforms it accepts launches from');
  registerPlatforms(lti);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // printed already
    // Expected failures say what to fix; anything else is a bug worth its stack.
    process.stderr.write(
      `cds: ${isCdsError(error) ? error.message : String((error as Error).stack ?? error)}\n`,
    );
    return 1;
  }
}
