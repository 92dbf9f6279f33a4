// Resident memory of each relay process, sampled from /proc while a part runs (for the chart) and
// read as the kernel's high-water mark (VmHWM) at its end, so a spike between samples still counts.
import type { RelayProcess } from './processes.js';
import { timeline } from './timeline.js';

export class RssSampler {
  private readonly peakOf = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  /**
   * Samples every process `processes()` returns (it may grow as workers start) every `everyMs`.
   * @param series prefix of the chart's series, e.g. `sqlite · web + 1 worker`
   */
  constructor(
    private readonly processes: () => readonly RelayProcess[],
    private readonly series: string,
    everyMs = 500,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    for (const proc of this.processes()) {
      const mib = proc.rssMiB();
      if (mib === undefined) continue;
      this.peakOf.set(proc.name, Math.max(this.peakOf.get(proc.name) ?? 0, mib));
      timeline.addRss(`${this.series} · ${proc.name}`, proc.role, mib);
    }
  }

  /** Each process's peak RSS so far, in MiB. */
  peaks(): Record<string, number> {
    if (this.stopped) return Object.fromEntries(this.peakOf);
    this.sample();
    for (const proc of this.processes()) {
      const hwm = proc.peakRssMiB();
      if (hwm !== undefined)
        this.peakOf.set(proc.name, Math.max(this.peakOf.get(proc.name) ?? 0, hwm));
    }
    return Object.fromEntries(this.peakOf);
  }

  /** Stops sampling (call it before the processes stop); returns `peaks()`. */
  stop(): Record<string, number> {
    const peaks = this.peaks();
    this.stopped = true;
    clearInterval(this.timer);
    return peaks;
  }
}
