// The provisioning API: makes the Redis and PostgreSQL that `pnpm test` and `pnpm start` need usable.
// Servers already running are never restarted or changed beyond creating a missing role/database;
// passwords are never printed (README.md, "Provisioning").
import { connectionUrl, parseDatabaseUrl } from '../../relay/src/settings/connections.js';
import { ensureChromium, type ChromiumResult } from './chromium.js';
import { makeContext } from './context.js';
import { ensurePostgres, type PostgresResult } from './postgres.js';
import { ensureRedis, type RedisResult } from './redis.js';
import { ensureRuby, type RubyResult } from './ruby.js';
import { runningAsRoot } from './system.js';

export interface ProvisionOptions {
  /** Provision Redis. @defaultValue true */
  redis?: boolean;
  /** Provision PostgreSQL (the test database and/or DATABASE_URL). @defaultValue true */
  postgres?: boolean;
  /** Include the test database, TEST_POSTGRES_URL (`--app` leaves it out). @defaultValue true */
  testDatabase?: boolean;
  /** Hide progress (apt output, "starting ..."). @defaultValue false */
  quiet?: boolean;
  /** Print one summary line per service. @defaultValue true */
  summary?: boolean;
  /** Chromium for the browser tests (CHROMIUM_PATH, else Debian's chromium). @defaultValue false */
  chromium?: boolean;
  /** Ruby for the Discourse plugin's minitest suite (RUBY_PATH, else Debian's ruby). @defaultValue false */
  ruby?: boolean;
  /** @defaultValue REDIS_URL, else redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** @defaultValue TEST_POSTGRES_URL, else postgres://cds:cds@127.0.0.1:5432/cds_test */
  postgresUrl?: string;
  /** Provisioned too when it is a PostgreSQL URL; '' for none. @defaultValue DATABASE_URL, else sqlite:./data/cds.sqlite */
  databaseUrl?: string;
}

export interface Provisioned {
  redis?: RedisResult;
  postgres?: PostgresResult;
  /** DATABASE_URL, when it is a PostgreSQL URL other than the test database. */
  appDatabase?: PostgresResult;
  chromium?: ChromiumResult;
  ruby?: RubyResult;
}

/**
 * Makes Redis and/or PostgreSQL usable; each URL is read from the environment only when it is
 * needed. Throws ProvisionError (or InvalidConfig for a wrong URL) with a message saying what to do.
 */
export async function provision(options: ProvisionOptions = {}): Promise<Provisioned> {
  const {
    redis = true,
    postgres = true,
    testDatabase = true,
    quiet = false,
    summary = true,
  } = options;
  const ctx = makeContext({ quiet, summary, isRoot: runningAsRoot() });
  const result: Provisioned = {};
  const say = (line: string) => {
    if (ctx.summary) console.log(line);
  };
  if (redis) {
    result.redis = await ensureRedis(ctx, options.redisUrl ?? connectionUrl('REDIS_URL'));
    say(`provision: Redis ready at ${result.redis.display} (${result.redis.how})`);
  }
  if (postgres) {
    let postgresUrl: string | undefined;
    if (testDatabase) {
      postgresUrl = options.postgresUrl ?? connectionUrl('TEST_POSTGRES_URL');
      result.postgres = await ensurePostgres(ctx, postgresUrl, 'TEST_POSTGRES_URL');
      say(`provision: PostgreSQL ready at ${result.postgres.display} (${result.postgres.how})`);
    }
    const databaseUrl = options.databaseUrl ?? connectionUrl('DATABASE_URL');
    if (
      databaseUrl &&
      parseDatabaseUrl(databaseUrl).dialect === 'postgres' &&
      databaseUrl !== postgresUrl
    ) {
      result.appDatabase = await ensurePostgres(ctx, databaseUrl, 'DATABASE_URL');
      say(
        `provision: PostgreSQL (DATABASE_URL) ready at ${result.appDatabase.display} (${result.appDatabase.how})`,
      );
    }
  }
  if (options.chromium) {
    result.chromium = await ensureChromium(ctx, process.env.CHROMIUM_PATH?.trim() || undefined);
    say(`provision: Chromium ready at ${result.chromium.path} (${result.chromium.how})`);
  }
  if (options.ruby) {
    result.ruby = await ensureRuby(ctx, process.env.RUBY_PATH?.trim() || undefined);
    say(`provision: Ruby ready at ${result.ruby.path} (${result.ruby.how})`);
  }
  return result;
}
