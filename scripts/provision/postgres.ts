// PostgreSQL at TEST_POSTGRES_URL (and DATABASE_URL when it names one): used as is when it answers;
// on this machine, the server installed when missing (root only), the Debian cluster on the URL's
// port created or started, and the URL's role and database created. Other hosts are only probed.
import {
  maskUrl,
  parsePostgresUrl,
  type PostgresTarget,
} from '../../relay/src/settings/connections.js';
import { aptInstall } from './apt.js';
import type { Context } from './context.js';
import { ProvisionError } from './errors.js';
import {
  PG_LIB_DIR,
  POSTGRES_WAIT_MS,
  allFound,
  listClusters,
  missingTools,
  pgToolPaths,
  serverVersions,
  type Cluster,
  type FoundPgTools,
  type PgTools,
} from './pg-cluster.js';
import { checkUsable, ensureRoleAndDatabase } from './pg-roles.js';
import { isLocalHost, tcpProbe, waitFor, type TcpProbe } from './probe.js';
import { psqlProbe, type PsqlProbe } from './psql.js';
import { commandFailure, run, runChecked } from './run.js';
import { indent, readTail } from './text.js';

/** What was found or done. `url` keeps its password (for child processes); `display` is masked. */
export interface PostgresResult {
  url: string;
  display: string;
  startedByUs: boolean;
  how: string;
  /** `VERSION/NAME` of the Debian cluster, when this machine's was used. */
  cluster?: string;
  /** `role NAME` and `database NAME` when they were created. */
  created?: string[];
}

/** One URL being provisioned, and how messages name it. */
export interface Wanted {
  ctx: Context;
  url: string;
  varName: string;
  target: PostgresTarget;
  /** The URL, password masked. */
  shown: string;
  /** The way out every message ends with. */
  orSet: string;
  /** Probes the URL's TCP port (a Unix socket URL counts as answering). */
  tcp: () => Promise<TcpProbe>;
}

/** Makes the database at `url` usable, or throws ProvisionError saying what to do. */
export async function ensurePostgres(
  ctx: Context,
  url: string,
  varName: string,
): Promise<PostgresResult> {
  const target = parsePostgresUrl(url, varName);
  const w: Wanted = {
    ctx,
    url,
    varName,
    target,
    shown: maskUrl(url),
    orSet: `or set ${varName} to a PostgreSQL you run`,
    tcp: () =>
      target.host ? tcpProbe(target.host, target.port) : Promise.resolve({ ok: true } as const),
  };
  const base = { url, display: w.shown, startedByUs: false };

  const tools = pgToolPaths();
  let tcpResult = await w.tcp();
  let probe: PsqlProbe | null = null;
  if (tcpResult.ok && tools.psql) {
    probe = await psqlProbe(tools.psql, url);
    if (probe.ok) return { ...base, how: 'already running' };
  }
  if (!isLocalHost(target.host)) return { ...base, how: remoteOnly(w, tcpResult, tools, probe) };

  // This machine: make sure the server tools are installed.
  const { found, installed } = await installServer(w, tools);
  if (installed) {
    tcpResult = await w.tcp();
    if (tcpResult.ok) {
      probe = await psqlProbe(found.psql, url);
      if (probe.ok) return { ...base, how: 'started by the postgresql package' };
    }
  }

  const { cluster, action } = await ensureCluster(w, found, tcpResult, probe);
  const clusterId = `${cluster.version}/${cluster.name}`;
  tcpResult = await waitFor(w.tcp, POSTGRES_WAIT_MS);
  if (!tcpResult.ok) {
    throw new ProvisionError(
      `PostgreSQL cluster ${clusterId} runs but does not accept TCP connections at ${target.host || '127.0.0.1'}:${target.port} (${tcpResult.code}). Check listen_addresses and port in ${cluster.configDir}/postgresql.conf, ${w.orSet}.`,
    );
  }

  // Role and database: created when missing, never altered.
  const created = await ensureRoleAndDatabase(w, found, cluster);
  await checkUsable(w, found, cluster, created);

  const parts = [action ? `cluster ${clusterId} ${action}` : 'already running'];
  if (created.length > 0) parts.push(`created ${created.join(' and ')}`);
  return {
    ...base,
    startedByUs: action !== null,
    cluster: clusterId,
    created,
    how: parts.join('; '),
  };
}

/** Another host is only probed: says how it answered, or throws what to do there. */
function remoteOnly(
  w: Wanted,
  tcpResult: TcpProbe,
  tools: PgTools,
  probe: PsqlProbe | null,
): string {
  if (!tcpResult.ok) {
    throw new ProvisionError(
      `PostgreSQL is not reachable at ${w.shown} (${tcpResult.code}). That host is not this machine, so nothing is installed or started: start it there, ${w.orSet}.`,
    );
  }
  if (!tools.psql) {
    w.ctx.log(
      `provision: warning: psql is not installed, so the credentials in ${w.varName} were not checked (only the TCP port)`,
    );
    return 'port answers; credentials not checked, psql missing';
  }
  const detail = probe && !probe.ok ? probe.detail : 'not checked';
  throw new ProvisionError(
    `PostgreSQL at ${w.shown} answers but is not usable: ${detail}. Fix it there, ${w.orSet}.`,
  );
}

/** Installs the postgresql package when a tool or the server is missing (root only). */
async function installServer(
  w: Wanted,
  tools: PgTools,
): Promise<{ found: FoundPgTools; installed: boolean }> {
  const missing = missingTools(tools);
  if (serverVersions().length === 0) missing.push(`${PG_LIB_DIR}/<version>/bin/postgres`);
  if (missing.length === 0 && allFound(tools)) return { found: tools, installed: false };
  if (!w.ctx.isRoot) {
    throw new ProvisionError(
      `PostgreSQL is not reachable at ${w.shown} and the PostgreSQL server is not installed (missing: ${missing.join(', ')}). Install it (sudo apt-get install postgresql) and run this again, ${w.orSet}.`,
    );
  }
  w.ctx.log(
    `provision: PostgreSQL is not usable at ${w.shown} and not installed (missing: ${missing.join(', ')}): installing postgresql`,
  );
  await aptInstall(w.ctx, ['postgresql']);
  const now = pgToolPaths();
  if (!allFound(now) || serverVersions().length === 0) {
    throw new ProvisionError(
      `apt-get installed postgresql but ${missingTools(now).join(', ') || 'the server binary'} is still missing; install PostgreSQL by hand, ${w.orSet}.`,
    );
  }
  return { found: now, installed: true };
}

/** The Debian cluster on the URL's port: created or started (root only) when needed. */
async function ensureCluster(
  w: Wanted,
  tools: FoundPgTools,
  tcpResult: TcpProbe,
  probe: PsqlProbe | null,
): Promise<{ cluster: Cluster; action: string | null }> {
  const { port } = w.target;
  let clusters = await listClusters(tools.pg_lsclusters);
  const cluster = clusters.find((c) => c.port === port);
  if (!cluster) {
    if (tcpResult.ok) {
      const detail = probe && !probe.ok ? probe.detail : 'not checked';
      throw new ProvisionError(
        `PostgreSQL at ${w.shown} answers but is not usable (${detail}), and no cluster listed by pg_lsclusters uses port ${port}, so this script cannot fix it: create the role and database there, ${w.orSet}.`,
      );
    }
    const version = serverVersions()[0]!;
    const name = clusters.some((c) => c.version === version && c.name === 'main')
      ? `cds${port}`
      : 'main';
    if (!w.ctx.isRoot) {
      throw new ProvisionError(
        `PostgreSQL is not reachable at ${w.shown} and no cluster uses port ${port}. Create one (sudo pg_createcluster ${version} ${name} -p ${port} --start), run this script as root, ${w.orSet}.`,
      );
    }
    w.ctx.log(`provision: creating PostgreSQL cluster ${version}/${name} on port ${port}`);
    await runChecked(
      'Creating a PostgreSQL cluster',
      tools.pg_createcluster,
      [version, name, '-p', String(port), '--start'],
      { prefix: 'pg', log: w.ctx.log },
    );
    clusters = await listClusters(tools.pg_lsclusters);
    const createdCluster = clusters.find((c) => c.port === port);
    if (!createdCluster)
      throw new ProvisionError(
        `pg_createcluster ${version} ${name} ran but pg_lsclusters shows no cluster on port ${port}`,
      );
    return { cluster: createdCluster, action: 'created and started by us' };
  }
  if (cluster.running) return { cluster, action: null };

  const id = `${cluster.version} ${cluster.name}`;
  if (!w.ctx.isRoot) {
    throw new ProvisionError(
      `PostgreSQL cluster ${cluster.version}/${cluster.name} (port ${port}) is down. Start it (sudo pg_ctlcluster ${id} start), run this script as root, ${w.orSet}.`,
    );
  }
  w.ctx.log(
    `provision: starting PostgreSQL cluster ${cluster.version}/${cluster.name} on port ${port}`,
  );
  const hint = () => {
    const tail = readTail(cluster.logFile, 10);
    return tail.length > 0
      ? `Last lines of ${cluster.logFile}:\n${indent(tail)}`
      : `See ${cluster.logFile}.`;
  };
  const res = await run(tools.pg_ctlcluster, [cluster.version, cluster.name, 'start'], {
    timeoutMs: 120_000,
  });
  if (res.error || res.code !== 0) throw commandFailure('Starting PostgreSQL', res, hint());
  return { cluster, action: 'started by us' };
}
