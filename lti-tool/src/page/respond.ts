// How the page's routes answer: JSON for the page's script, the page again for a plain form post,
// and refusals in words (messages.ts) for both.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { CdsError } from '@cds/shared';
import type { PageIdentity } from './identity.js';
import { sendRefusal } from './messages.js';
import { RelayProblem } from './relay-client.js';

export function wantsJson(req: Request): boolean {
  return (
    req.is('application/json') === 'application/json' || req.accepts(['html', 'json']) === 'json'
  );
}

/** Answers an action: JSON for the script, or back to the page for a plain form post. */
export function done(
  req: Request,
  res: Response,
  status: number,
  body: Record<string, unknown>,
): void {
  if (wantsJson(req)) {
    res.status(status).json(body);
    return;
  }
  const ltik = String(res.locals.ltik ?? '');
  res.redirect(303, `/lti/launch?ltik=${encodeURIComponent(ltik)}`);
}

/** The HTTP status a refusal answers with. */
export function refusalStatus(error: unknown): number {
  if (error instanceof RelayProblem) return error.status;
  if (error instanceof CdsError) return error.code === 'ERR_FORBIDDEN' ? 403 : 400;
  return 500;
}

export const UNEXPECTED = 'The sync tool failed unexpectedly; the error is in its log. Try again.';

export function fail(
  req: Request,
  res: Response,
  error: unknown,
  onError: (e: unknown) => void,
): void {
  if (error instanceof RelayProblem || error instanceof CdsError)
    return sendRefusal(req, res, refusalStatus(error), error.message);
  onError(error);
  sendRefusal(req, res, 500, UNEXPECTED);
}

export function requireInstructor(identity: PageIdentity, what: string): void {
  if (identity.role !== 'instructor')
    throw new CdsError(
      'ERR_FORBIDDEN',
      `Only the course's instructors can ${what}; you opened the tool as a student, so you see your own sync status only.`,
    );
}

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new CdsError('ERR_MALFORMED', result.error.issues[0]!.message);
}
