import express, { type RequestHandler } from 'express';
import { CdsError } from '@cds/shared';

/**
 * Reads the raw body up to `limit` bytes and gives `req.body` as parsed JSON (application/json)
 * or as text (application/jose, text/plain): malformed JSON is a 400 that says where it broke.
 */
export function signedBody(limit: number): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit }),
    (req, _res, next) => {
      const raw: unknown = req.body;
      const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
      if (text.trim() === '') return next(new CdsError('ERR_MALFORMED', 'request body is empty'));
      if (req.is('application/json') || /^\s*[{[]/.test(text)) {
        try {
          req.body = JSON.parse(text) as unknown;
        } catch (error) {
          return next(
            new CdsError(
              'ERR_MALFORMED',
              `request body is not valid JSON: ${(error as Error).message}`,
            ),
          );
        }
      } else {
        req.body = text;
      }
      next();
    },
  ];
}
