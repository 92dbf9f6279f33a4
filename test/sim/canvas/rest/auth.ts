// Bearer-token authentication of the REST API, as Canvas does it
// (https://canvas.instructure.com/doc/api/file.oauth.html#using-access-tokens): the token comes in
// `Authorization: Bearer <token>` (or the `access_token` query parameter); none is answered 401
// "user authorization required", an unknown one 401 "Invalid access token." with
// `WWW-Authenticate: Bearer realm="canvas-lms"`.
import type { NextFunction, Request, Response } from 'express';
import type { CanvasState, User } from '../state.js';
import { canvasError } from './errors.js';

/** The token string of a request, if any. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header?.match(/^Bearer\s+(.+)$/i);
  if (match) return match[1]!.trim();
  const q = req.query.access_token;
  return typeof q === 'string' && q ? q : undefined;
}

export function requireToken(state: CanvasState) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req);
    if (!token) {
      canvasError(res, 401, 'user authorization required', 'unauthenticated');
      return;
    }
    const found = state.accessTokens.get(token);
    const user = found && state.users.get(found.user_id);
    if (!user) {
      res.set('WWW-Authenticate', 'Bearer realm="canvas-lms"');
      canvasError(res, 401, 'Invalid access token.');
      return;
    }
    res.locals.user = user;
    next();
  };
}

/** The user a request acts as (set by requireToken). */
export function currentUser(res: Response): User {
  return res.locals.user as User;
}
