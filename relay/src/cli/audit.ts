import type { Command } from 'commander';
import { InvalidConfig } from '@cds/shared';
import { verifyAuditChain } from '../audit/chain.js';
import { proveEvent } from '../ops/prove.js';
import type { CliContext } from './context.js';
import { print, printJson, progress } from './output.js';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the hash-chained, tamper-evident audit log');

  audit
    .command('verify')
    .description('check every record and link of the chain; exits 1 at the first broken record')
    .action(async () => {
      const bar = progress('verified');
      const result = await verifyAuditChain(await ctx.store(), (done, total) =>
        bar.update(done, total),
      );
      bar.done();
      if (result.ok) {
        print(`audit chain intact: ${result.checked} records verified`);
        return;
      }
      print(
        `audit chain BROKEN at record ${result.broken!.seq}: ${result.broken!.reason} (${result.checked} records before it verified)`,
      );
      ctx.exitCode = 1;
    });

  audit
    .command('prove')
    .description("an inclusion proof of an event's decision (and its batch's Merkle path)")
    .argument('<event-id>')
    .action(async (eventId: string) => {
      const proof = await proveEvent(await ctx.store(), eventId);
      if (!proof)
        throw new InvalidConfig(
          `event ${eventId} has no decision in the audit log (not decided yet?)`,
        );
      printJson(proof);
      print(proof.valid ? 'proof valid' : 'proof INVALID');
      if (!proof.valid) ctx.exitCode = 1;
    });
}
