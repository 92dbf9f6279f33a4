#!/usr/bin/env node
// Placeholder for commands whose issue has not landed yet: says so plainly instead of failing oddly.
const command = process.argv[2] ?? 'this command';
console.error(
  `pnpm ${command} is not built yet: it arrives with the relay and LTI tool issues (see README.md).`,
);
process.exit(2);
