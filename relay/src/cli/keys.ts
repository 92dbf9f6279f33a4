import { access, chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import {
  generateProducerKey,
  importSigner,
  InvalidConfig,
  jwksSchema,
  rotateTrustedKey,
  SOURCES,
  type Signer,
  type Source,
  type TrustedJwks,
} from '@cds/shared';
import { auditKeyChange } from '../ops/key-changes.js';
import { parseDuration } from '../config.js';
import { readJwks } from '../keys.js';
import type { CliContext } from './context.js';
import { print } from './output.js';

const PRODUCER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const DEFAULT_KEYS_DIR = './data/keys';

export function privateKeyPath(keysDir: string, producer: string): string {
  return join(keysDir, `${producer}.private.jwk.json`);
}

function checkProducer(name: string): string {
  if (!PRODUCER_NAME.test(name))
    throw new InvalidConfig(
      `producer "${name}" is not a valid name: use lower-case letters, digits, "-" or "_" (e.g. canvas-prod)`,
    );
  return name;
}

/** `canvas,manual` as a list of sources; InvalidConfig naming the wrong one. */
function parseSources(text: string): Source[] {
  const sources = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const wrong = sources.filter((s) => !(SOURCES as readonly string[]).includes(s));
  if (sources.length === 0 || wrong.length > 0)
    throw new InvalidConfig(
      `--sources ${wrong.length > 0 ? `has unknown source(s) ${wrong.join(', ')}` : 'is empty'}: use a comma-separated list of ${SOURCES.join(', ')}`,
    );
  return sources as Source[];
}

/** The trusted JWKS file, to add keys to (a missing file is an empty set, as for the relay). */
async function readTrusted(path: string): Promise<TrustedJwks> {
  if (/^https?:\/\//.test(path))
    throw new InvalidConfig(
      `TRUSTED_JWKS is a URL (${path}): add the public key where that JWKS is published instead`,
    );
  const parsed = jwksSchema.safeParse(await readJwks(path));
  if (!parsed.success)
    throw new InvalidConfig(`TRUSTED_JWKS ${path} is not a valid JWKS: ${parsed.error.message}`);
  return parsed.data;
}

/** Writes via a temporary file and a rename, so the relay never reads half a JWKS. */
async function writeJson(path: string, value: unknown, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode });
  if (mode !== undefined) await chmod(temporary, mode);
  await rename(temporary, path);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Loads the signer `cds keys generate` wrote for a producer. */
export async function loadProducerSigner(keysDir: string, producer: string): Promise<Signer> {
  const path = privateKeyPath(keysDir, checkProducer(producer));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InvalidConfig(
      `no key for producer "${producer}" at ${path}: run "cds keys generate --producer ${producer}"`,
    );
  }
  return importSigner(JSON.parse(text) as Parameters<typeof importSigner>[0], producer);
}

export interface ProducerKeyFiles {
  producer: string;
  /** The sources the key may send. @defaultValue the producer's name, when that is a source */
  sources?: Source[];
  /** Where the private JWK goes (mode 600); it must not exist yet. */
  privateKeyPath: string;
  /** TRUSTED_JWKS (a file): the public half is added to it. */
  trustedJwks: string;
}

/**
 * What `cds keys generate` does to files: a producer's new key, its private JWK written (mode
 * 600) and its public half added to the trusted JWKS, where the relay picks it up at once. The
 * caller audits it. InvalidConfig when the producer already has a key or TRUSTED_JWKS is a URL.
 */
export async function writeProducerKey(
  options: ProducerKeyFiles,
): Promise<Awaited<ReturnType<typeof generateProducerKey>>> {
  const producer = checkProducer(options.producer);
  if (await exists(options.privateKeyPath))
    throw new InvalidConfig(
      `producer "${producer}" already has a key (${options.privateKeyPath}): use "cds keys rotate --producer ${producer}"`,
    );
  const trusted = await readTrusted(options.trustedJwks);
  const pair = await generateProducerKey(producer, options.sources);
  await writeJson(options.privateKeyPath, pair.privateJwk, 0o600);
  await writeJson(options.trustedJwks, { keys: [...trusted.keys, pair.publicJwk] });
  return pair;
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('producer signing keys and the trusted JWKS');

  keys
    .command('generate')
    .description(
      "make a producer's Ed25519 key: the private JWK goes under --keys-dir, the public one into TRUSTED_JWKS",
    )
    .requiredOption('--producer <name>', 'who will sign with it, e.g. canvas, discourse, test')
    .option(
      '--sources <list>',
      `the event sources the key may send, comma-separated (${SOURCES.join(', ')}); defaults to the producer's name when that is a source, otherwise required`,
    )
    .option('--keys-dir <dir>', 'where private keys are kept', DEFAULT_KEYS_DIR)
    .action(async (options: { producer: string; sources?: string; keysDir: string }) => {
      const producer = checkProducer(options.producer);
      const sources = options.sources === undefined ? undefined : parseSources(options.sources);
      const path = privateKeyPath(options.keysDir, producer);
      const trustedPath = ctx.config.trustedJwks;
      const pair = await writeProducerKey({
        producer,
        sources,
        privateKeyPath: path,
        trustedJwks: trustedPath,
      });
      await auditKeyChange(await ctx.store(), ctx.actor, {
        action: 'key.generated',
        jwk: pair.publicJwk,
      });
      print(`generated key ${pair.privateJwk.kid}`);
      print(`  sources:     ${pair.publicJwk.sources!.join(', ')}`);
      print(`  private key: ${path} (keep it secret; give it to the producer only)`);
      print(
        `  trusted by:  ${trustedPath} (usable at once: the relay re-reads it on an unknown key)`,
      );
    });

  keys
    .command('rotate')
    .description(
      "replace a producer's key; the old one stays trusted for the grace period, then is refused",
    )
    .requiredOption('--producer <name>', 'whose key to rotate')
    .option('--grace <duration>', 'how long the old key stays valid (e.g. 1h, 7d)', '7d')
    .option('--keys-dir <dir>', 'where private keys are kept', DEFAULT_KEYS_DIR)
    .action(async (options: { producer: string; grace: string; keysDir: string }) => {
      const producer = checkProducer(options.producer);
      const graceSeconds = Math.floor(parseDuration(options.grace) / 1000);
      const old = await loadProducerSigner(options.keysDir, producer);
      const trustedPath = ctx.config.trustedJwks;
      const trusted = await readTrusted(trustedPath);
      // The new key speaks for what the old one did.
      const oldSources = trusted.keys.find((k) => k.kid === old.kid)?.sources;
      const pair = await generateProducerKey(producer, oldSources);
      const rotated = rotateTrustedKey(trusted, {
        newKey: pair.publicJwk,
        oldKid: old.kid,
        graceSeconds,
      });
      const path = privateKeyPath(options.keysDir, producer);
      const retiredPath = path.replace(/\.private\.jwk\.json$/, `.retired-${Date.now()}.jwk.json`);
      await rename(path, retiredPath);
      await writeJson(path, pair.privateJwk, 0o600);
      await writeJson(trustedPath, rotated);
      const retireAt = rotated.keys.find((k) => k.kid === old.kid)!.retire_at!;
      await auditKeyChange(await ctx.store(), ctx.actor, {
        action: 'key.rotated',
        jwk: pair.publicJwk,
        oldKid: old.kid,
        retireAt,
      });
      const until = new Date(retireAt * 1000).toISOString();
      print(`rotated ${producer}: new key ${pair.privateJwk.kid}`);
      print(`  old key ${old.kid} is accepted until ${until}, then refused`);
      print(`  old private key moved to ${retiredPath}`);
    });
}
