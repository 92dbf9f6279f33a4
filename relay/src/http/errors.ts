import type { ErrorRequestHandler, RequestHandler } from 'express';
import { CdsError, toCdsError, type ErrorCode } from '@cds/shared';

/** The HTTP status for each error code: every rejection is a 4xx with a reason. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  ERR_BAD_SIGNATURE: 401,
  ERR_UNKNOWN_KEY: 401,
  ERR_EXPIRED: 401,
  ERR_REPLAYED: 409,
  ERR_INVALID_EVENT: 422,
  ERR_UNKNOWN_SCHEMA: 422,
  ERR_MALFORMED: 400,
  ERR_TOO_LARGE: 413,
  ERR_UNAUTHORIZED: 401,
  ERR_NOT_FOUND: 404,
  ERR_TARGET: 502,
  ERR_UNAVAILABLE: 503,
  ERR_INVALID_CONFIG: 500,
  ERR_INTERNAL: 500,
};

/** body-parser's own errors (size, encoding) in our terms. */
function fromBodyParser(error: unknown): CdsError | undefined {
  const type = (error as { type?: unknown })?.type;
  if (type === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    return new CdsError(
      'ERR_TOO_LARGE',
      `request body is larger than the limit of ${limit} bytes: split the batch`,
    );
  }
  if ((typeof type === 'string' && type.startsWith('encoding')) || type === 'charset.unsupported') {
    return new CdsError('ERR_MALFORMED', `request body encoding is not supported: send UTF-8`);
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
