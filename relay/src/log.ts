import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs (DESIGN.md section 7). Secrets never reach a log line: redact the usual suspects. */
export function createLogger(level: string, name = 'relay'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.authorization', '*.token', '*.password', '*.apiKey', 'req.headers.authorization'],
      censor: '***',
    },
  });
}
