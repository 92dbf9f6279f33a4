// The Debian PostgreSQL layout: installed server versions, clusters (pg_lsclusters), the tools,
// and SQL run as a cluster's owner.
import fs from 'node:fs';
import path from 'node:path';
import { run, runChecked } from './run.js';
import { which } from './system.js';
import { formatCommand } from './text.js';

export const PG_LIB_DIR = '/usr/lib/postgresql';
/** How long a cluster that is starting gets to accept connections. */
export const POSTGRES_WAIT_MS = 20_000;

export interface Cluster {
  version: string;
  name: string;
  port: number;
  running: boolean;
  /** The operating-system user that owns it: a superuser by peer authentication. */
  owner: string;
  dataDir: string;
  logFile: string;
  socketDir: string;
  hbaFile: string;
  configDir: string;
}

export interface PgTools {
  pg_lsclusters: string | null;
  pg_ctlcluster: string | null;
  pg_createcluster: string | null;
  psql: string | null;
  /** Optional: `su` is used without it. */
  runuser: string | null;
}

/** The same tools, all found. */
export type FoundPgTools = { [K in keyof PgTools]: K extends 'runuser' ? string | null : string };

export function pgToolPaths(): PgTools {
  return {
    pg_lsclusters: which('pg_lsclusters'),
    pg_ctlcluster: which('pg_ctlcluster'),
    pg_createcluster: which('pg_createcluster'),
    psql: which('psql'),
    runuser: which('runuser'),
  };
}

/** The names of the required tools that are missing. */
export function missingTools(tools: PgTools): string[] {
  return Object.entries(tools)
    .filter(([name, p]) => !p && name !== 'runuser')
    .map(([name]) => name);
}

export function allFound(tools: PgTools): tools is FoundPgTools {
  return missingTools(tools).length === 0;
}

/** Installed server versions, newest first. */
export function serverVersions(libDir = PG_LIB_DIR): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(libDir);
  } catch {
    return [];
  }
  return names
    .filter(
      (v) => /^\d+(\.\d+)?$/.test(v) && fs.existsSync(path.join(libDir, v, 'bin', 'postgres')),
    )
    .sort((a, b) => Number(b) - Number(a));
}

/** Parses `pg_lsclusters --no-header` text: Ver Cluster Port Status Owner Datadir Logfile. */
export function parseClustersText(text: string): Cluster[] {
  return String(text)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d/.test(f[0]!))
    .map(
      ([version = '', name = '', port, status = '', owner = '', dataDir = '', logFile = '']) => ({
        version,
        name,
        port: Number(port),
        running: status.startsWith('online'),
        owner,
        dataDir,
        logFile,
        socketDir: '/var/run/postgresql',
        hbaFile: `/etc/postgresql/${version}/${name}/pg_hba.conf`,
        configDir: `/etc/postgresql/${version}/${name}`,
      }),
    );
}

function userNameOf(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0]!;
    }
  } catch {
    // fall through
  }
  return 'postgres';
}

/** One cluster as `pg_lsclusters --json` prints it (the fields used here). */
interface ClusterJson {
  version: string | number;
  cluster: string;
  port: string | number;
  running: string | number;
  owneruid: string | number;
  pgdata: string;
  logfile: string;
  socketdir?: string;
  configdir: string;
  config?: { hba_file?: string };
}

export async function listClusters(bin: string): Promise<Cluster[]> {
  const json = await run(bin, ['--json'], { timeoutMs: 30_000 });
  if (!json.error && json.code === 0) {
    try {
      return (JSON.parse(json.stdout) as ClusterJson[]).map((c) => ({
        version: String(c.version),
        name: c.cluster,
        port: Number(c.port),
        running: Boolean(Number(c.running)),
        owner: userNameOf(Number(c.owneruid)),
        dataDir: c.pgdata,
        logFile: c.logfile,
        socketDir: c.socketdir || '/var/run/postgresql',
        hbaFile: c.config?.hba_file || `${c.configdir}/pg_hba.conf`,
        configDir: c.configdir,
      }));
    } catch {
      // older postgresql-common: use the text form
    }
  }
  const text = await runChecked('Listing PostgreSQL clusters', bin, ['--no-header'], {
    timeoutMs: 30_000,
  });
  return parseClustersText(text.stdout);
}

/** Runs SQL as the cluster's owner (a superuser, by peer auth over the Unix socket). */
export async function psqlAsOwner(
  tools: FoundPgTools,
  cluster: Cluster,
  sql: string,
  what: string,
): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  const psqlArgs = [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-tA',
    '-h',
    cluster.socketDir,
    '-p',
    String(cluster.port),
    '-d',
    'postgres',
    '-f',
    '-',
  ];
  let cmd: string;
  let args: string[];
  if (tools.runuser) {
    cmd = tools.runuser;
    args = ['-u', cluster.owner, '--', tools.psql, ...psqlArgs];
  } else {
    cmd = which('su') ?? 'su';
    args = ['-s', '/bin/sh', cluster.owner, '-c', formatCommand(tools.psql, psqlArgs)];
  }
  // SQL goes through stdin so that a password in it is never on a command line.
  const res = await runChecked(what, cmd, args, { env, cwd: '/', input: sql, timeoutMs: 60_000 });
  return res.stdout.trim();
}
