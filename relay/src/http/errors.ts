import type { ErrorRequestHandler, RequestHandler } from 'express';
import { CdsError, toCdsError, type ErrorCode } from '@cds/shared';

/** The HTTP status for each error code: every rejection is a 4xx with a reason. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  ERR_BAD_SIGNATURE: 401,
  ERR_UNKNOWN_KEY: 401,
  ERR_EXPIRED: 401,
  ERR_REPLAYED: 409,
  ERR_FORBIDDEN: 403,
  ERR_INVALID_EVENT: 422,
  ERR_UNKNOWN_SCHEMA: 422,
  ERR_MALFORMED: 400,
  ERR_TOO_LARGE: 413,
  ERR_UNAUTHORIZED: 401,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_TARGET: 502,
  ERR_UNAVAILABLE: 503,
  ERR_INVALID_CONFIG: 500,
  ERR_INTERNAL: 500,
};

/**
 * body-parser's own errors (size, encoding, a corrupt gzip or brotli body, a client that hung up)
 * in our terms: every one is the client's doing, so a 4xx, never a 500.
 */
function fromBodyParser(error: unknown): CdsError | undefined {
  const { type, status, limit } = (error ?? {}) as {
    type?: unknown;
    status?: unknown;
    limit?: unknown;
  };
  if (type === 'entity.too.large') {
    return new CdsError(
      'ERR_TOO_LARGE',
      `request body is larger than the limit of ${String(limit)} bytes: split the batch`,
    );
  }
  if ((typeof type === 'string' && type.startsWith('encoding')) || type === 'charset.unsupported') {
    return new CdsError('ERR_MALFORMED', `request body encoding is not supported: send UTF-8`);
  }
  if (type === 'request.aborted')
    return new CdsError('ERR_MALFORMED', 'the client aborted the request');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // e.g. zlib's "unexpected end of file" for a truncated Content-Encoding: gzip body
    return new CdsError(
      'ERR_MALFORMED',
      `request body could not be read: ${(error as Error).message} (check Content-Encoding)`,
    );
  }
  return undefined;
}

/** The one error handler of the app: `{error: {code, message}}`, never a stack or a secret. */
export function errorHandler(onInternal: (error: unknown) => void): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const failure = fromBodyParser(error) ?? toCdsError(error);
    if (failure.code === 'ERR_INTERNAL') onInternal(error);
    const message =
      failure.code === 'ERR_INTERNAL' ? 'internal error: see the relay log' : failure.message;
    res.status(HTTP_STATUS[failure.code]).json({ error: { code: failure.code, message } });
  };
}

export const notFound: RequestHandler = (req, res) => {
  res
    .status(404)
    .json({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
};
