import type { z } from 'zod';
import { CdsError } from '@cds/shared';

/**
 * Parses a request part (path parameter, query, body) with zod; a failure is a 400
 * ERR_MALFORMED naming the part and the field: `path parameter "course" must be ...`.
 */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path.length > 0 ? `${where} "${issue.path.join('.')}"` : where;
  throw new CdsError('ERR_MALFORMED', `${name} ${issue.message}`);
}
