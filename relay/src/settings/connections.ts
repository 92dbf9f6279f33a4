// The connection settings, DATABASE_URL, REDIS_URL and TEST_POSTGRES_URL: their defaults, their
// validation and their parsed forms, in one place (CONVENTIONS.md #15) for the relay, the cds
// command, provisioning, the bench and the LTI tool.
import { z } from 'zod';
import { InvalidConfig } from '@cds/shared';

/** @defaultValue of REDIS_URL */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** @defaultValue of DATABASE_URL: the embedded store, a SQLite file */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/cds.sqlite';
/** @defaultValue of TEST_POSTGRES_URL: the PostgreSQL database the tests use */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://cds:cds@127.0.0.1:5432/cds_test';

export type Env = Record<string, string | undefined>;

/** Where a Redis URL points. An empty host means this machine (127.0.0.1). */
export interface RedisTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
}

/**
 * Where a PostgreSQL URL points. `host` is empty for a Unix socket (a `host=/dir` parameter or no
 * host at all): this machine, no TCP. `database` defaults to the user, as libpq does.
 */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export type DatabaseTarget =
  | { dialect: 'sqlite'; /** a file path, or `:memory:` */ path: string }
  | ({ dialect: 'postgres' } & PostgresTarget);

/** The URL with its password (user info, or a query parameter named like one) replaced by ***. */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>'; // a password could be anywhere in it
  }
  const secretKeys = [...u.searchParams.keys()].filter((key) => /pass/i.test(key));
  if (!u.password && secretKeys.length === 0) return url; // nothing to hide: keep it as written
  if (u.password) u.password = '***';
  for (const key of secretKeys) u.searchParams.set(key, '***');
  return u.toString();
}

function urlOf(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const got = (text: string) => `(got "${maskUrl(text)}")`;
const REDIS_SCHEMES = /^rediss?:\/\//i;
const POSTGRES_SCHEMES = /^postgres(ql)?:\/\//i;
const SQLITE_PREFIX = 'sqlite:';

// Each rule returns what is wrong, phrased to follow the variable's name, or undefined.

function redisProblem(text: string): string | undefined {
  if (!REDIS_SCHEMES.test(text))
    return `must start with redis:// or rediss:// ${got(text)}, e.g. ${DEFAULT_REDIS_URL}`;
  const u = urlOf(text);
  if (!u) return `must be a valid URL: redis://[[user]:password@]host[:port][/db] ${got(text)}`;
  if (!/^\/?\d*$/.test(u.pathname))
    return `may end only with a database number, e.g. redis://127.0.0.1:6379/0 ${got(text)}`;
  return undefined;
}

function postgresProblem(text: string): string | undefined {
  const example = maskUrl(DEFAULT_TEST_POSTGRES_URL);
  if (!POSTGRES_SCHEMES.test(text))
    return `must start with postgres:// or postgresql:// ${got(text)}, e.g. ${example}`;
  if (!urlOf(text))
    return `must be a valid URL: postgres://user:password@host:port/database ${got(text)}`;
  return undefined;
}

function databaseProblem(text: string): string | undefined {
  if (text.startsWith(SQLITE_PREFIX)) {
    const path = text.slice(SQLITE_PREFIX.length);
    if (path === '')
      return `must name a file after sqlite:, e.g. ${DEFAULT_DATABASE_URL} (or sqlite::memory:)`;
    // sqlite://data/x.sqlite would silently mean the absolute path //data/x.sqlite.
    if (/^\/\/[^/]/.test(path))
      return `must be sqlite:RELATIVE/PATH or sqlite:/ABSOLUTE/PATH, not sqlite://... ${got(text)}, e.g. ${DEFAULT_DATABASE_URL}`;
    return undefined;
  }
  if (POSTGRES_SCHEMES.test(text)) return postgresProblem(text);
  return `must be sqlite:PATH or postgres://user:password@host:port/database ${got(text)}, e.g. ${DEFAULT_DATABASE_URL}`;
}

const SETTINGS = {
  REDIS_URL: { defaultValue: DEFAULT_REDIS_URL, problem: redisProblem },
  DATABASE_URL: { defaultValue: DEFAULT_DATABASE_URL, problem: databaseProblem },
  TEST_POSTGRES_URL: { defaultValue: DEFAULT_TEST_POSTGRES_URL, problem: postgresProblem },
} as const;

export type ConnectionVariable = keyof typeof SETTINGS;

function check(variable: ConnectionVariable, text: string): void {
  const problem = SETTINGS[variable].problem(text);
  if (problem) throw new InvalidConfig(`${variable} ${problem}`);
}

/**
 * The setting from `env`, or its default when unset or empty, validated. Throws InvalidConfig
 * naming the variable, what it holds (password masked) and what is expected.
 */
export function connectionUrl(variable: ConnectionVariable, env: Env = process.env): string {
  const text = env[variable] || SETTINGS[variable].defaultValue;
  check(variable, text);
  return text;
}

/** The same rule as a zod field with its default, for an app's settings schema (config.ts). */
export function connectionUrlSchema(variable: ConnectionVariable) {
  const { defaultValue, problem } = SETTINGS[variable];
  return z
    .string()
    .superRefine((text, ctx) => {
      const message = problem(text);
      if (message) ctx.addIssue({ code: 'custom', message });
    })
    .default(defaultValue);
}

/** A Redis URL's parts. `variable` only names the setting in the error. */
export function parseRedisUrl(url: string, variable = 'REDIS_URL'): RedisTarget {
  const problem = redisProblem(url);
  if (problem) throw new InvalidConfig(`${variable} ${problem}`);
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: decoded(u.username),
    password: decoded(u.password),
    tls: u.protocol === 'rediss:',
  };
}

/** A PostgreSQL URL's parts, with libpq's query parameters (host, port, user, password, dbname). */
export function parsePostgresUrl(url: string, variable = 'TEST_POSTGRES_URL'): PostgresTarget {
  const problem = postgresProblem(url);
  if (problem) throw new InvalidConfig(`${variable} ${problem}`);
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || u.searchParams.get('host') || '';
  const user = decoded(u.username) || u.searchParams.get('user') || '';
  return {
    host: host.startsWith('/') ? '' : host,
    port: Number(u.port || u.searchParams.get('port') || 5432),
    user,
    password: decoded(u.password) || u.searchParams.get('password') || '',
    database: decoded(u.pathname.replace(/^\//, '')) || u.searchParams.get('dbname') || user,
  };
}

/** Which store a DATABASE_URL names: `sqlite:PATH` or a PostgreSQL URL. */
export function parseDatabaseUrl(url: string, variable = 'DATABASE_URL'): DatabaseTarget {
  const problem = databaseProblem(url);
  if (problem) throw new InvalidConfig(`${variable} ${problem}`);
  if (url.startsWith(SQLITE_PREFIX))
    return { dialect: 'sqlite', path: url.slice(SQLITE_PREFIX.length) };
  return { dialect: 'postgres', ...parsePostgresUrl(url, variable) };
}
