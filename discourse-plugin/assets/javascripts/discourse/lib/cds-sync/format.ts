// Numbers as a person reads them on the status panels.

/** A lag in ms as "now", "42 s", "5 min", "3 h" or "2 d". */
export function formatLag(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return 'now';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** "1 event", "3 events". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A target's health word from its counts and breaker. */
export function healthOf(t: {
  failing: number;
  deadLetters: number;
  breaker: string | null;
}): 'healthy' | 'degraded' | 'down' {
  if (t.breaker === 'open') return 'down';
  if (t.failing > 0 || t.deadLetters > 0 || t.breaker === 'half-open') return 'degraded';
  return 'healthy';
}
