// The URL's role and database on this machine's cluster: created when missing (root only), never
// altered; then a last check that the URL works, with the fix when it does not.
import { ProvisionError } from './errors.js';
import { POSTGRES_WAIT_MS, psqlAsOwner, type Cluster, type FoundPgTools } from './pg-cluster.js';
import type { Wanted } from './postgres.js';
import { waitFor } from './probe.js';
import { psqlProbe } from './psql.js';
import { shellQuote, sqlIdent, sqlLiteral } from './text.js';

/** Creates the URL's role and database when the URL does not work yet; returns what it created. */
export async function ensureRoleAndDatabase(
  w: Wanted,
  tools: FoundPgTools,
  cluster: Cluster,
): Promise<string[]> {
  const { user, password, database } = w.target;
  // A server that is still starting up cannot answer questions about roles yet: wait for it.
  const probe = await waitFor(
    () => psqlProbe(tools.psql, w.url),
    POSTGRES_WAIT_MS,
    250,
    (p) => !p.ok && p.reason !== 'starting',
  );
  const created: string[] = [];
  if (probe.ok) return created;
  if (!user) {
    throw new ProvisionError(
      `${w.varName} names no user, so no role can be created (${probe.detail}); put user:password in it.`,
    );
  }
  if (!w.ctx.isRoot) {
    throw new ProvisionError(
      `PostgreSQL at ${w.shown} answers but refuses the connection: ${probe.detail}. As root, run this script again (it creates role ${sqlIdent(user)} and database ${sqlIdent(database)}), or create them yourself: sudo -u ${cluster.owner} createuser --pwprompt ${shellQuote(user)} && sudo -u ${cluster.owner} createdb -O ${shellQuote(user)} ${shellQuote(database)}; ${w.orSet}.`,
    );
  }
  const asOwner = (sql: string, what: string) => psqlAsOwner(tools, cluster, sql, what);
  const roleExists =
    (await asOwner(
      `SELECT 1 FROM pg_roles WHERE rolname = ${sqlLiteral(user)};`,
      'Checking the PostgreSQL role',
    )) === '1';
  if (!roleExists) {
    w.ctx.log(`provision: creating PostgreSQL role ${user}`);
    const pw = password ? ` PASSWORD ${sqlLiteral(password)}` : '';
    await asOwner(`CREATE ROLE ${sqlIdent(user)} LOGIN${pw};`, `Creating role ${user}`);
    created.push(`role ${user}`);
  }
  const dbExists =
    (await asOwner(
      `SELECT 1 FROM pg_database WHERE datname = ${sqlLiteral(database)};`,
      'Checking the PostgreSQL database',
    )) === '1';
  if (!dbExists) {
    w.ctx.log(`provision: creating PostgreSQL database ${database} owned by ${user}`);
    await asOwner(
      `CREATE DATABASE ${sqlIdent(database)} OWNER ${sqlIdent(user)};`,
      `Creating database ${database}`,
    );
    created.push(`database ${database}`);
  }
  return created;
}

const SETTLED = ['auth', 'hba', 'norole', 'nodb', 'nopassword'];

/** Waits until the URL works; throws with the likely fix (password, pg_hba.conf) when it does not. */
export async function checkUsable(
  w: Wanted,
  tools: FoundPgTools,
  cluster: Cluster,
  created: string[],
): Promise<void> {
  const { user, database } = w.target;
  const probe = await waitFor(
    () => psqlProbe(tools.psql, w.url),
    POSTGRES_WAIT_MS,
    250,
    (p) => !p.ok && SETTLED.includes(p.reason),
  );
  if (probe.ok) return;
  let hint: string;
  if (probe.reason === 'auth' && !created.includes(`role ${user}`)) {
    hint = `Role ${user} exists with another password: set it (sudo -u ${cluster.owner} psql -c "ALTER ROLE ${user} PASSWORD '<password from ${w.varName}>'"), or put the right password in ${w.varName}. If the password is right, check the host lines of ${cluster.hbaFile}.`;
  } else if (['auth', 'hba', 'nopassword'].includes(probe.reason)) {
    hint = `Password logins over TCP are not allowed for this role/database: add a line like "host ${database} ${user} 127.0.0.1/32 scram-sha-256" to ${cluster.hbaFile} and reload (sudo pg_ctlcluster ${cluster.version} ${cluster.name} reload), or put a password in ${w.varName}.`;
  } else {
    hint = `See ${cluster.logFile} and ${cluster.hbaFile}, ${w.orSet}.`;
  }
  throw new ProvisionError(
    `PostgreSQL cluster ${cluster.version}/${cluster.name} runs but ${w.shown} is not usable: ${probe.detail}.\n${hint}`,
  );
}
