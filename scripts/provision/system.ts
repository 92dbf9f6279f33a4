// What this machine offers: executables, processes, users, root.
import fs from 'node:fs';
import path from 'node:path';

const FALLBACK_BIN_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** Finds an executable on PATH, then in the usual system directories (sbin is off a user's PATH). */
export function which(name: string, envPath = process.env.PATH ?? ''): string | null {
  const dirs = [...envPath.split(path.delimiter).filter(Boolean), ...FALLBACK_BIN_DIRS];
  for (const dir of new Set(dirs)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Whether this run may install packages and start system services. The test hook
 * PROVISION_ASSUME_NOT_ROOT=1 makes a root run behave as an unprivileged one.
 */
export function runningAsRoot(): boolean {
  return (
    typeof process.getuid === 'function' &&
    process.getuid() === 0 &&
    process.env.PROVISION_ASSUME_NOT_ROOT !== '1'
  );
}

export function processAlive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped) still answers kill(pid, 0).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // no /proc entry: gone, or no /proc at all
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid`'s command line names `program`. */
export function processRuns(pid: number, program: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
}

export function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
