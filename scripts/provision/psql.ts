// Asking a PostgreSQL server, through psql, whether a URL's credentials and database work.
import { lastLines } from './text.js';
import { run } from './run.js';

/** Why psql could not connect, from its error text. */
export type PsqlFailure =
  'auth' | 'hba' | 'norole' | 'nodb' | 'starting' | 'refused' | 'timeout' | 'nopassword' | 'other';

export type PsqlProbe = { ok: true } | { ok: false; reason: PsqlFailure; detail: string };

export function classifyPsqlError(stderr: string): PsqlFailure {
  const s = String(stderr);
  if (/password authentication failed/i.test(s)) return 'auth';
  if (/no pg_hba\.conf entry/i.test(s)) return 'hba';
  if (/role "[^"]*" does not exist/i.test(s)) return 'norole';
  if (/database "[^"]*" does not exist/i.test(s)) return 'nodb';
  if (/starting up|shutting down|in recovery mode|not yet accepting/i.test(s)) return 'starting';
  if (/connection refused/i.test(s)) return 'refused';
  if (/timeout expired/i.test(s)) return 'timeout';
  if (/no password supplied|password is required/i.test(s)) return 'nopassword';
  return 'other';
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** psql's connection string for `url` without its password, plus the env that carries it. */
function psqlConnection(url: string): { conninfo: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = safeDecode(u.password) || u.searchParams.get('password') || '';
  u.password = '';
  u.searchParams.delete('password');
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '2' };
  if (password) env.PGPASSWORD = password;
  return { conninfo: u.toString(), env };
}

/** Connects to `url` and runs `select 1`; the password goes through the environment only. */
export async function psqlProbe(psql: string, url: string): Promise<PsqlProbe> {
  const { conninfo, env } = psqlConnection(url);
  const res = await run(psql, ['-X', '-w', '-tA', '-d', conninfo, '-c', 'select 1'], {
    env,
    timeoutMs: 15_000,
  });
  if (!res.error && res.code === 0 && res.stdout.trim() === '1') return { ok: true };
  const detail = lastLines(res.stderr || res.error?.message || `exit status ${res.code}`, 3).join(
    ' / ',
  );
  return { ok: false, reason: classifyPsqlError(res.stderr), detail };
}
