import { z } from 'zod';
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

const courseIdParam = z.string().regex(/^\d{1,20}$/, 'must be a Canvas course id (digits)');

/** The Canvas course id of a `/v1/status/courses/:course...` path; 400 when it is not one. */
export function courseOfPath(params: { course?: string }): string {
  return parseRequestPart(courseIdParam, params.course, 'path parameter "course"');
}
