// `cds lti platforms add|list|remove`: the platforms the tool accepts launches from, for setups
// without dynamic registration (DESIGN.md section 8). Works on the tool's database (DATABASE_URL,
// LTI_KEY: the same settings as the tool).
import { CommanderError, type Command } from 'commander';
import { z } from 'zod';
import { loadLtiSettings } from '../settings.js';
import { createLtiTool, type LtiTool } from '../tool.js';
import { describeLtiDatabase } from '../db/database.js';

/** Usage mistakes (a missing or bad flag) exit 2, as every `cds` usage error does. */
export const USAGE_EXIT = 2;
const USAGE_CODES = new Set([
  'commander.missingMandatoryOptionValue',
  'commander.optionMissingArgument',
  'commander.unknownOption',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.missingArgument',
  'commander.unknownCommand',
]);

function usageExit(error: CommanderError): never {
  if (USAGE_CODES.has(error.code)) throw new CommanderError(USAGE_EXIT, error.code, error.message);
  throw error;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const httpUrl = z.url({ protocol: /^https?$/ });

/** The flag's value as an http(s) URL, or a usage error naming the flag. */
function urlFlag(command: Command, flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!httpUrl.safeParse(value).success)
    command.error(`error: ${flag} must be an http(s) URL (got "${value}")`, {
      exitCode: USAGE_EXIT,
      code: 'cds.invalidFlag',
    });
  return value;
}

function nonEmpty(command: Command, flag: string, value: string): string {
  if (value.trim() === '')
    command.error(`error: ${flag} must not be empty`, {
      exitCode: USAGE_EXIT,
      code: 'cds.invalidFlag',
    });
  return value.trim();
}

async function withTool<T>(work: (tool: LtiTool) => Promise<T>): Promise<T> {
  const settings = loadLtiSettings();
  const tool = await createLtiTool(settings);
  try {
    return await work(tool);
  } finally {
    await tool.close();
  }
}

interface AddFlags {
  issuer: string;
  clientId: string;
  deploymentId: string[];
  authUrl?: string;
  tokenUrl?: string;
  jwksUrl?: string;
  name?: string;
}

export function registerPlatforms(lti: Command): void {
  const platforms = lti
    .command('platforms')
    .description(
      'LMS platforms (issuer + client id) and deployments the tool accepts launches from',
    );

  platforms
    .command('add')
    .description(
      'register a platform and its deployment, or add a deployment to a registered platform (then the URLs may be left out)',
    )
    .requiredOption(
      '--issuer <url>',
      "the platform's issuer (iss), e.g. https://canvas.instructure.com",
    )
    .requiredOption(
      '--client-id <id>',
      'the client id the platform gave the tool (Canvas: the developer key id)',
    )
    .requiredOption(
      '--deployment-id <id>',
      'a deployment to accept launches from (repeat the flag for several)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--auth-url <url>', "the platform's OIDC authorization endpoint (new platforms)")
    .option('--token-url <url>', "the platform's OAuth2 token endpoint (new platforms)")
    .option('--jwks-url <url>', "the platform's public key set (new platforms)")
    .option('--name <text>', 'a nickname shown by list (default: the issuer host)')
    .exitOverride(usageExit)
    .action(async (flags: AddFlags, command: Command) => {
      const issuer = urlFlag(command, '--issuer', flags.issuer)!;
      const clientId = nonEmpty(command, '--client-id', flags.clientId);
      const deploymentIds = flags.deploymentId.map((d) => nonEmpty(command, '--deployment-id', d));
      const authUrl = urlFlag(command, '--auth-url', flags.authUrl);
      const tokenUrl = urlFlag(command, '--token-url', flags.tokenUrl);
      const jwksUrl = urlFlag(command, '--jwks-url', flags.jwksUrl);
      await withTool(async (tool) => {
        if (!(await tool.platforms.has(issuer, clientId))) {
          const missing = [
            ['--auth-url', authUrl],
            ['--token-url', tokenUrl],
            ['--jwks-url', jwksUrl],
          ].filter(([, v]) => !v);
          if (missing.length > 0)
            command.error(
              `error: ${missing.map(([f]) => f).join(', ')} required: ${issuer} (client id ${clientId}) is not registered yet`,
              { exitCode: USAGE_EXIT, code: 'cds.missingFlag' },
            );
        }
        const result = await tool.platforms.add({
          issuer,
          clientId,
          deploymentIds,
          ...(authUrl ? { authUrl } : {}),
          ...(tokenUrl ? { tokenUrl } : {}),
          ...(jwksUrl ? { jwksUrl } : {}),
          ...(flags.name ? { name: flags.name } : {}),
        });
        print(
          result.created
            ? `registered platform ${issuer} (client id ${clientId}) in ${describeLtiDatabase(loadLtiSettings().databaseUrl)}`
            : `platform ${issuer} (client id ${clientId}) was registered already${authUrl || tokenUrl || jwksUrl ? ': endpoints updated' : ''}`,
        );
        for (const id of deploymentIds)
          print(
            result.deploymentsAdded.includes(id)
              ? `  deployment ${id}: added`
              : `  deployment ${id}: registered already`,
          );
      });
    });

  platforms
    .command('list')
    .description('the registered platforms and their deployments')
    .option('--json', 'print JSON (every field) instead of a table')
    .exitOverride(usageExit)
    .action(async (flags: { json?: boolean }) => {
      await withTool(async (tool) => {
        const records = await tool.platforms.list();
        if (flags.json) return print(JSON.stringify(records, null, 2));
        if (records.length === 0)
          return print('no platforms registered (add one with "cds lti platforms add")');
        for (const r of records) {
          print(`${r.issuer}  client id ${r.clientId}  (${r.name})`);
          print(`  deployments: ${r.deploymentIds.join(', ') || 'none (launches are refused)'}`);
          print(`  auth: ${r.authUrl}`);
          print(`  token: ${r.tokenUrl}`);
          print(`  jwks: ${r.jwksUrl}`);
        }
      });
    });

  platforms
    .command('remove')
    .description('forget a platform: its endpoints, the key pair made for it and its deployments')
    .requiredOption('--issuer <url>', "the platform's issuer (iss)")
    .requiredOption('--client-id <id>', 'the client id the platform gave the tool')
    .exitOverride(usageExit)
    .action(async (flags: { issuer: string; clientId: string }, command: Command) => {
      const issuer = urlFlag(command, '--issuer', flags.issuer)!;
      const clientId = nonEmpty(command, '--client-id', flags.clientId);
      await withTool(async (tool) => {
        const record = await tool.platforms.get(issuer, clientId);
        if (!record || !(await tool.platforms.remove(issuer, clientId))) {
          process.stderr.write(`cds: no platform ${issuer} with client id ${clientId}\n`);
          throw new CommanderError(1, 'cds.notFound', 'not found');
        }
        print(
          `removed platform ${issuer} (client id ${clientId}), its key ${record.keyId} and ${record.deploymentIds.length} deployment(s)`,
        );
      });
    });
}
