// The faults a production platform shows, applied to every non-control request of a simulator:
// an outage (503, or refused connections handled by LocalServer), injected 5xx answers and slow
// answers. Shared by the Canvas and Discourse simulators; each says how its errors look.
import type { NextFunction, Request, Response } from 'express';

/** The JSON body of an injected `status` answer; `faulted` counts faults so far (this one too). */
export type FaultBody = (status: number, faulted: number) => unknown;

export class SimulatorFaults {
  /** Non-control requests seen. */
  requests = 0;
  /** Answers replaced by an injected fault (5xx or 503 outage). */
  faulted = 0;
  offline: 'no' | '503' | 'refuse' = 'no';
  private injected: Array<{ status: number; remaining: number }> = [];
  private delay: { ms: number; remaining: number } | undefined;

  constructor(private readonly faultBody: FaultBody) {}

  /** The next `count` requests are answered `status`. */
  inject(status: number, count: number): void {
    this.injected.push({ status, remaining: count });
  }

  /** The next `count` requests (every request when count is Infinity) wait `ms` first. */
  slow(ms: number, count = Infinity): void {
    this.delay = ms > 0 ? { ms, remaining: count } : undefined;
  }

  clear(): void {
    this.injected = [];
    this.delay = undefined;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.path.startsWith('/__control')) return next();
      this.requests += 1;
      if (this.offline !== 'no') {
        this.faulted += 1;
        // What nginx in front of a stopped Rails app answers (both platforms run behind one).
        res.status(503).type('text/html').send('<h1>503 Service Unavailable</h1>\n');
        return;
      }
      if (this.delay && this.delay.remaining > 0) {
        this.delay.remaining -= 1;
        await new Promise((resolve) => setTimeout(resolve, this.delay!.ms));
      }
      const fault = this.injected.find((f) => f.remaining > 0);
      if (fault) {
        fault.remaining -= 1;
        this.faulted += 1;
        res.status(fault.status).json(this.faultBody(fault.status, this.faulted));
        return;
      }
      next();
    };
  }
}
