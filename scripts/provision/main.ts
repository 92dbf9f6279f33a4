// Entry point of `pnpm provision` (and of `pnpm start`, with --app): see cli.ts and README.md.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
