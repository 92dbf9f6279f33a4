// Text helpers for commands, SQL and the tails of logs shown in messages.
import fs from 'node:fs';

/** SQL identifier quoting. */
export function sqlIdent(s: string): string {
  return `"${String(s).replace(/"/g, '""')}"`;
}

/** SQL string literal quoting (standard_conforming_strings is on by default). */
export function sqlLiteral(s: string): string {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** One argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
  const s = String(arg);
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

/** The last `n` non-blank lines of `text`. */
export function lastLines(text: string | undefined, n: number): string[] {
  const lines = String(text ?? '')
    .split(/\r?\n|\r/)
    .filter((l) => l.trim() !== '');
  return lines.slice(-n);
}

export function indent(lines: readonly string[]): string {
  return lines.map((l) => `    ${l}`).join('\n');
}

/** The last `n` lines of a log file, or none when it cannot be read. */
export function readTail(file: string, n: number): string[] {
  try {
    return lastLines(fs.readFileSync(file, 'utf8').slice(-20_000), n);
  } catch {
    return [];
  }
}
