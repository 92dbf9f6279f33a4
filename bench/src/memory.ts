// Peak resident set size while a benchmark runs, sampled (Node reports no high-water mark per span).

export class RssSampler {
  readonly baseline = process.memoryUsage.rss();
  private peak = this.baseline;
  private readonly timer: NodeJS.Timeout;

  /** Starts sampling every `everyMs`. @defaultValue 25 */
  constructor(everyMs = 25) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  /** Stops sampling; returns the peak minus the baseline, in MiB. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return (this.peak - this.baseline) / (1024 * 1024);
  }
}
