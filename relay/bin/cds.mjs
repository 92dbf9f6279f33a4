#!/usr/bin/env node
// The `cds` command of @cds/relay: runs the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const argv = process.argv.slice(2);
// `cds lti ...` belongs to @cds/lti-tool, which depends on @cds/relay: the relay package cannot
// import it back (a cycle), so this entry point, not the package, hands those commands over.
const { runCli } =
  argv[0] === 'lti'
    ? await import('../../lti-tool/src/cli/main.ts')
    : await import('../src/cli/main.ts');
process.exit(await runCli(argv));
