/** How `cds` talks to people: results on stdout (pipeable), progress and notes on stderr. */

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/**
 * A progress reporter for long operations: rewrites one line on a terminal, prints at most one
 * line per second otherwise (logs, CI).
 */
export function progress(label: string): {
  update(done: number, total: number): void;
  done(): void;
} {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  let last = '';
  return {
    update(done, total) {
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      last = `${label}: ${done}/${total} (${percent}%)`;
      const now = Date.now();
      if (tty) process.stderr.write(`\r${last}`);
      else if (now - lastPrint >= 1000 || done === total) {
        lastPrint = now;
        note(last);
      }
    },
    done() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

/** A plain aligned table; empty input prints `empty` instead. */
export function printTable(rows: Array<Record<string, unknown>>, empty: string): void {
  if (rows.length === 0) return print(empty);
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  print(line(columns.map((c) => c.toUpperCase())));
  for (const row of cells) print(line(row));
}

export function formatTime(ms: number | null | undefined): string {
  return ms ? new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}
