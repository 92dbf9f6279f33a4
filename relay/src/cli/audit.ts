import { InvalidArgumentError, type Command } from 'commander';
import { InvalidConfig, isCdsError } from '@cds/shared';
import { formatAuditHead, parseAuditHead, readAuditHead, type AuditHead } from '../audit/head.js';
import { verifyAuditChain } from '../audit/verify.js';
import { proveEvent } from '../ops/prove.js';
import type { CliContext } from './context.js';
import { print, printJson, progress } from './output.js';

/** commander's argument parser for `--expect`: a malformed head is a usage error, said plainly. */
function expectedHead(text: string): AuditHead {
  try {
    return parseAuditHead(text);
  } catch (error) {
    throw isCdsError(error) ? new InvalidArgumentError(error.message) : error;
  }
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the hash-chained, tamper-evident audit log');

  audit
    .command('verify')
    .description(
      "check every record and link of the chain and every decided event's stored body; exits 1 at the first broken record",
    )
    .option(
      '--expect <SEQ:HASH>',
      'a head printed earlier by "cds audit head": fail if that record is gone or different',
      expectedHead,
    )
    .action(async (options: { expect?: AuditHead }) => {
      const bar = progress('verified');
      const result = await verifyAuditChain(await ctx.store(), {
        expect: options.expect,
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.done();
      if (result.ok) {
        const expected = options.expect ? `, head ${formatAuditHead(options.expect)} present` : '';
        print(
          `audit chain intact: ${result.checked} records verified, ${result.events} event bodies match their decisions${expected}`,
        );
        return;
      }
      // The reason names the event when its body changed.
      const { seq, reason } = result.broken!;
      print(
        `audit chain BROKEN at record ${seq}: ${reason} (${result.checked} records before it verified)`,
      );
      ctx.exitCode = 1;
    });

  audit
    .command('head')
    .description(
      'print the chain head as SEQ:HASH, to keep outside the database for "verify --expect"',
    )
    .option('--json', 'print {"seq": ..., "hash": ...} instead')
    .action(async (options: { json?: boolean }) => {
      const head = await readAuditHead(await ctx.store());
      print(options.json ? JSON.stringify(head) : formatAuditHead(head));
    });

  audit
    .command('prove')
    .description(
      "an inclusion proof of an event's decision, that the event's body is unchanged, and its batch's Merkle path",
    )
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
