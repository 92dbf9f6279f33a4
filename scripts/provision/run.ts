// Running the commands provisioning needs (apt-get, redis-server, pg_*, psql), never rejecting.
import { spawn, type ChildProcess } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { ProvisionError } from './errors.js';
import { formatCommand, indent, lastLines } from './text.js';

export interface RunOptions {
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's standard input (else it gets none). */
  input?: string;
  /** When given with `log`, each output line is echoed as `  PREFIX | line`. */
  prefix?: string;
  log?: (message: string) => void;
  /** Kills the command (SIGKILL) after this long. @defaultValue no limit */
  timeoutMs?: number;
}

export interface RunResult {
  cmd: string;
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  error: NodeJS.ErrnoException | null;
  stdout: string;
  stderr: string;
  /** The last 40 non-blank lines of both streams, in order. */
  tail: string[];
}

type Stream = 'stdout' | 'stderr';
const STREAMS: readonly Stream[] = ['stdout', 'stderr'];

/**
 * Runs a command; never rejects. Output is captured (and echoed line by line with `prefix` when
 * given). Resolves shortly after the process exits even if a daemon it forked kept a pipe open.
 */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { env = process.env, cwd, input, prefix, log, timeoutMs } = options;
  return new Promise((resolve) => {
    const res: RunResult = {
      cmd,
      args,
      code: null,
      signal: null,
      error: null,
      stdout: '',
      stderr: '',
      tail: [],
    };
    let done = false;
    let killTimer: NodeJS.Timeout | undefined;
    const partial: Record<Stream, string> = { stdout: '', stderr: '' };
    const pushLine = (line: string) => {
      res.tail.push(line);
      if (res.tail.length > 40) res.tail.shift();
      if (prefix && log) log(`  ${prefix} | ${line}`);
    };
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(killTimer);
      for (const stream of STREAMS) if (partial[stream]) pushLine(partial[stream]);
      resolve(res);
    };
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        env,
        cwd,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      res.error = err as NodeJS.ErrnoException;
      finish();
      return;
    }
    for (const stream of STREAMS) {
      const readable = child[stream]!;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        if (res[stream].length < 1_000_000) res[stream] += chunk;
        const parts = (partial[stream] + chunk).split(/\r?\n|\r/);
        partial[stream] = parts.pop() ?? '';
        for (const line of parts) if (line.trim() !== '') pushLine(line);
      });
    }
    if (input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
    if (timeoutMs) {
      killTimer = setTimeout(() => {
        res.error = new Error(`timed out after ${timeoutMs / 1000} s`);
        child.kill('SIGKILL');
      }, timeoutMs);
    }
    child.on('error', (err) => {
      res.error = err;
      finish();
    });
    child.on('exit', (code, signal) => {
      res.code = code;
      res.signal = signal;
      const t = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish();
      }, 500);
      t.unref();
    });
    child.on('close', (code, signal) => {
      if (res.code === null && res.signal === null) {
        res.code = code;
        res.signal = signal;
      }
      finish();
    });
  });
}

/** A ProvisionError naming the command, how it ended, its last lines of output and `hint`. */
export function commandFailure(what: string, res: RunResult, hint?: string): ProvisionError {
  const cmdline = formatCommand(res.cmd, res.args);
  let how: string;
  if (res.error) {
    how = res.error.code === 'ENOENT' ? 'command not found' : res.error.message;
  } else if (res.signal) {
    how = `killed by ${res.signal}`;
  } else {
    how = `exit status ${res.code}`;
  }
  const tail = lastLines(res.stderr, 12);
  const shown = tail.length > 0 ? tail : res.tail.slice(-12);
  let msg = `${what} failed: \`${cmdline}\` (${how})`;
  if (shown.length > 0) msg += `\n${indent(shown)}`;
  if (hint) msg += `\n${hint}`;
  return new ProvisionError(msg);
}

/** Runs a command and throws commandFailure unless it exits 0. */
export async function runChecked(
  what: string,
  cmd: string,
  args: string[],
  options: RunOptions = {},
  hint?: string,
): Promise<RunResult> {
  const res = await run(cmd, args, options);
  if (res.error || res.code !== 0) throw commandFailure(what, res, hint);
  return res;
}
