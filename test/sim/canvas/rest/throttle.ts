// Canvas's request throttling (https://canvas.instructure.com/doc/api/file.throttling.html and
// app/middleware/request_throttle.rb in instructure/canvas-lms): a leaky bucket per client (the
// access token, else the IP). A request first reserves an up-front cost (50) that is credited back
// when it finishes, leaving its real cost (Canvas: CPU + DB seconds); the bucket leaks `outflow`
// per second. When the count reaches the high-water mark (600) the request is refused with
// `403 Forbidden (Rate Limit Exceeded)` as text/plain. Every response carries
// `X-Rate-Limit-Remaining` (hwm - count) and, unless throttled, `X-Request-Cost`.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { bearerToken } from './auth.js';

export interface ThrottleSettings {
  /** The bucket's top. @defaultValue 800 */
  maximum: number;
  /** The "full" line: at or above it requests are refused. @defaultValue 600 */
  hwm: number;
  /** Leak per second. @defaultValue 10 */
  outflow: number;
  /** Reserved while a request runs, credited back after. @defaultValue 50 */
  upFrontCost: number;
  /** A fixed cost per request; when undefined, the handler's run time in seconds (as Canvas). */
  requestCost: number | undefined;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  maximum: 800,
  hwm: 600,
  outflow: 10,
  upFrontCost: 50,
  requestCost: undefined,
};

interface Bucket {
  count: number;
  touched: number;
}

/** Ruby's Float#to_s for the header values: "600.0", "0.0123". */
function rubyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export class RequestThrottle {
  readonly settings: ThrottleSettings;
  private readonly buckets = new Map<string, Bucket>();
  /** Requests refused with 403. */
  throttled = 0;

  constructor(settings: Partial<ThrottleSettings> = {}) {
    this.settings = { ...DEFAULT_THROTTLE, ...settings };
  }

  private bucket(id: string): Bucket {
    const now = Date.now();
    let b = this.buckets.get(id);
    if (!b) {
      b = { count: 0, touched: now };
      this.buckets.set(id, b);
    }
    // Leak, then clamp to [0, maximum] as the Lua script does.
    b.count = Math.max(0, b.count - ((now - b.touched) / 1000) * this.settings.outflow);
    b.touched = now;
    return b;
  }

  private increment(id: string, amount: number): Bucket {
    const b = this.bucket(id);
    b.count = Math.min(this.settings.maximum, Math.max(0, b.count + amount));
    return b;
  }

  /** Fills a client's bucket (every client's when no token is given) to the top: 403 until it leaks. */
  fill(token?: string): void {
    if (token) {
      this.increment(clientId(token), this.settings.maximum);
      return;
    }
    this.forceAll = true;
    for (const id of this.buckets.keys()) this.increment(id, this.settings.maximum);
  }

  /** Empties every bucket and ends a forced throttle. */
  reset(): void {
    this.buckets.clear();
    this.forceAll = false;
  }

  /** When set, buckets created later start full too (a forced throttle for clients not seen yet). */
  private forceAll = false;

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const token = bearerToken(req);
      const id = token ? clientId(token) : `ip:${req.ip}`;
      if (this.forceAll && !this.buckets.has(id)) this.increment(id, this.settings.maximum);
      const { hwm, upFrontCost } = this.settings;
      if (this.bucket(id).count >= hwm) {
        this.throttled += 1;
        res
          .status(403)
          .set('Content-Type', 'text/plain; charset=utf-8')
          .set('X-Rate-Limit-Remaining', '0.0')
          .send('403 Forbidden (Rate Limit Exceeded)\n');
        return;
      }
      this.increment(id, upFrontCost);
      const started = process.hrtime.bigint();
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
      let settled = false;
      // Settle the cost when the headers go out, so they can carry it.
      res.writeHead = ((...args: unknown[]) => {
        if (!settled) {
          settled = true;
          const measured = Number(process.hrtime.bigint() - started) / 1e9;
          const cost = this.settings.requestCost ?? measured;
          const b = this.increment(id, cost - upFrontCost);
          res.setHeader('X-Request-Cost', rubyFloat(cost));
          res.setHeader('X-Rate-Limit-Remaining', rubyFloat(hwm - b.count));
        }
        return writeHead(...args);
      }) as Response['writeHead'];
      next();
    };
  }
}

function clientId(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex')}`;
}
