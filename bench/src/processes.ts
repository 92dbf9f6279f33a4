// The relay as `pnpm start` runs it: `node <RELAY_NODE_FLAGS> --import tsx relay/src/main.ts --role=...`, one process
// per role, configured by environment. A web process is ready when GET /readyz answers 200, a
// worker process when its BullMQ workers are connected to Redis. Stopped with SIGTERM, as an admin
// would, and SIGKILL if it does not exit in time; never left behind when the bench fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RELAY_NODE_FLAGS } from '@cds/relay';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'relay/src/main.ts';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** Lines of a child's output kept to explain its failure. */
const TAIL_LINES = 30;

export type Role = 'all' | 'web' | 'worker';

/** Children not yet stopped: killed when the bench exits or is interrupted. */
const running = new Set<ChildProcess>();
let guarded = false;

function guardChildren(): void {
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      console.error(`\nbench: ${signal}, relay processes stopped`);
      process.exit(130);
    });
  }
}

/** A field of /proc/PID/status in MiB (VmRSS: resident now, VmHWM: its peak), if readable. */
function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * BENCH_NODE_FLAGS: more node flags for the relay processes, to profile them, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` (node refuses those in NODE_OPTIONS).
 */
function extraNodeFlags(): string[] {
  return process.env.BENCH_NODE_FLAGS?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** One relay process. */
export class RelayProcess {
  readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exitNote?: string;
  private stopping?: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(
    /** e.g. `web`, `worker-2`, `all`. */
    readonly name: string,
    readonly role: Role,
    env: Record<string, string>,
  ) {
    guardChildren();
    const flags = [...RELAY_NODE_FLAGS, ...extraNodeFlags()];
    this.child = spawn(process.execPath, [...flags, '--import', 'tsx', MAIN, `--role=${role}`], {
      cwd: REPOSITORY,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        this.tail.push(...text.split('\n').filter(Boolean));
        this.tail.splice(0, Math.max(0, this.tail.length - TAIL_LINES));
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        this.exitNote = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Throws, with the process's last output, when it has exited without being stopped. */
  assertRunning(): void {
    if (this.exitNote === undefined || this.stopping) return;
    const output = this.tail.length > 0 ? this.tail.join('\n') : '(no output)';
    throw new Error(
      `relay process ${this.name} exited (${this.exitNote}); its last output:\n${output}`,
    );
  }

  /** Resident set size now, in MiB. */
  rssMiB(): number | undefined {
    return this.exitNote === undefined ? procStatusMiB(this.pid, 'VmRSS') : undefined;
  }

  /** The highest resident set size the kernel saw for this process, in MiB. */
  peakRssMiB(): number | undefined {
    return this.exitNote === undefined ? procStatusMiB(this.pid, 'VmHWM') : undefined;
  }

  /** SIGTERM (the relay finishes running jobs and closes), SIGKILL if it takes too long. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitNote !== undefined) return;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }

  /** Resolves when the process exits (for waits that must not outlive it). */
  whenExited(): Promise<void> {
    return this.exited;
  }
}

/** A port free on 127.0.0.1 now (the OS picks it; the relay binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Polls `ready` until it holds; fails early when the process exits, or after READY_TIMEOUT_MS. */
async function waitUntil(what: string, proc: RelayProcess, ready: () => Promise<boolean>) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    proc.assertRunning();
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(
        `relay process ${proc.name}: ${what} not ready after ${READY_TIMEOUT_MS / 1000} s`,
      );
    await sleep(100);
  }
}

/** Redis connections BullMQ named after a queue under `prefix`: one per worker of each queue. */
async function workerConnections(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => / name=(\S+)/.exec(line)?.[1]?.startsWith(`${prefix}:`))
    .length;
}

export interface ClusterOptions {
  /** Relay settings (env) shared by every process; PORT is added for the web one. */
  env: Record<string, string>;
  redisUrl: string;
  /** The relay's QUEUE_PREFIX, to find its workers' connections. */
  prefix: string;
}

/** The relay's processes of one layout, sharing Redis and the database. */
export class RelayCluster {
  readonly processes: RelayProcess[] = [];
  /** The web (or all) process's base URL. */
  url = '';
  private readonly redis: Redis;

  constructor(private readonly options: ClusterOptions) {
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  }

  /** Starts the process that serves HTTP (role `web` or `all`) and waits for GET /readyz. */
  async startWeb(role: 'web' | 'all'): Promise<void> {
    const port = await freePort();
    const proc = new RelayProcess(role, role, { ...this.options.env, PORT: String(port) });
    this.processes.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil('GET /readyz', proc, async () => (await fetch(`${url}/readyz`)).ok);
    this.url = url;
  }

  /**
   * Starts one more worker process; ready when its workers' Redis connections have appeared and
   * stopped changing (it opens one per queue, all at start).
   */
  async addWorker(): Promise<void> {
    const before = await workerConnections(this.redis, this.options.prefix);
    const n = this.processes.filter((p) => p.role === 'worker').length + 1;
    const proc = new RelayProcess(`worker-${n}`, 'worker', this.options.env);
    this.processes.push(proc);
    let seen = before;
    let steadySince = Date.now();
    await waitUntil('its workers', proc, async () => {
      const now = await workerConnections(this.redis, this.options.prefix);
      if (now !== seen) {
        seen = now;
        steadySince = Date.now();
      }
      return seen > before && Date.now() - steadySince >= 1000;
    });
  }

  /** Throws when any process has exited on its own. */
  assertRunning(): void {
    for (const proc of this.processes) proc.assertRunning();
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    this.redis.disconnect();
  }
}
