// Canvas's API error bodies: `{"errors": [{"message": ...}]}`, with a `status` word for the
// authorization failures (https://canvas.instructure.com/doc/api/file.oauth.html#storing-access-tokens:
// an invalid or expired token is answered 401 with a WWW-Authenticate header).
import type { Response } from 'express';

export function canvasError(res: Response, status: number, message: string, word?: string): void {
  res
    .status(status)
    .json(word ? { status: word, errors: [{ message }] } : { errors: [{ message }] });
}

export function notFound(res: Response): void {
  canvasError(res, 404, 'The specified resource does not exist.');
}

export function badRequest(res: Response, message: string): void {
  canvasError(res, 400, message);
}
