// Reading the control API's JSON bodies, and answering its handlers: bad input is a 400
// ERR_CONTROL_INPUT, a mutation the simulated platform refuses keeps its status
// (ERR_CONTROL_REFUSED). Shared by both simulators' control routers so they answer alike.
import type { Request, Response } from 'express';

export class InputError extends Error {}

export type Body = Record<string, unknown>;

export function int(body: Body, name: string): number {
  const v = body[name];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw new InputError(`${name} must be an integer`);
}

export function optInt(body: Body, name: string): number | undefined {
  return body[name] === undefined || body[name] === null ? undefined : int(body, name);
}

export function text(body: Body, name: string): string {
  const v = body[name];
  if (typeof v === 'string' && v !== '') return v;
  throw new InputError(`${name} must be a non-empty string`);
}

export function optText(body: Body, name: string): string | undefined {
  return body[name] === undefined || body[name] === null ? undefined : text(body, name);
}

export function optBool(body: Body, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  throw new InputError(`${name} must be a boolean`);
}

export function oneOf<T extends string>(
  body: Body,
  name: string,
  values: readonly T[],
): T | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  throw new InputError(`${name} must be one of ${values.join(', ')}`);
}

/** The error class a simulated platform refuses a change with, carrying the HTTP status. */
export type RefusalClass = abstract new (...args: never[]) => Error & { status: number };

/** A control handler's wrapper, as controlHandler makes it. */
export type ControlHandle = ReturnType<typeof controlHandler>;

/**
 * Wraps control handlers: answers what `fn` returns (`{ ok: true }` for nothing), bad input as
 * 400 and a `Refusal` with its status; anything else goes on to express.
 */
export function controlHandler(Refusal: RefusalClass) {
  return (fn: (body: Body, req: Request) => unknown) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Body;
        res.json((await fn(body, req)) ?? { ok: true });
      } catch (err) {
        if (err instanceof InputError) {
          res.status(400).json({ error: { code: 'ERR_CONTROL_INPUT', message: err.message } });
        } else if (err instanceof Refusal) {
          res
            .status(err.status)
            .json({ error: { code: 'ERR_CONTROL_REFUSED', message: err.message } });
        } else {
          throw err;
        }
      }
    };
}
