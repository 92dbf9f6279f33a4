// Small HTTP helpers shared by the LTI routers: auto-submitting forms (how Canvas moves the browser
// between platform and tool), Canvas's error bodies, and Canvas's Link-header pagination.
import type { Request, Response } from 'express';

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * An HTML page whose form posts `fields` to `action` as soon as it loads (with a button for
 * browsers without scripts), the way Canvas sends the login initiation and the id_token.
 */
export function autoPostForm(
  action: string,
  fields: Record<string, string>,
  title: string,
): string {
  const inputs = Object.entries(fields)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
  <form id="lti_form" method="POST" action="${escapeHtml(action)}" enctype="application/x-www-form-urlencoded">
    ${inputs}
    <noscript><button type="submit">Continue</button></noscript>
  </form>
  <script>document.getElementById('lti_form').submit();</script>
</body>
</html>`;
}

export { escapeHtml };

/** Canvas's body for LTI Advantage service errors: {errors: {type, message}}. */
export function serviceError(res: Response, status: number, message: string): void {
  const type =
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      412: 'precondition_failed',
      415: 'unsupported_media_type',
      422: 'unprocessable_entity',
    }[status] ?? 'error';
  res.status(status).json({ errors: { type, message } });
}

/** A request's own absolute URL on the issuer's origin. */
export function requestUrl(issuer: string, req: Request): URL {
  return new URL(req.originalUrl, issuer);
}

/**
 * One page of `items`, with Canvas's Link header (rel current/next/prev/first/last, `page` and
 * `per_page` query parameters). `limit` (AGS, NRPS) is read as `per_page`, as Canvas does.
 * https://canvas.instructure.com/doc/api/file.pagination.html
 */
export function paginate<T>(issuer: string, req: Request, res: Response, items: T[]): T[] {
  const asked = Number(req.query.limit ?? req.query.per_page ?? 10);
  const perPage = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 100) : 10;
  const askedPage = Number(req.query.page ?? 1);
  const page = Number.isInteger(askedPage) && askedPage > 0 ? askedPage : 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number): string => {
    const url = requestUrl(issuer, req);
    url.searchParams.delete('limit');
    url.searchParams.set('page', String(p));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  const rels: string[] = [`<${link(page)}>; rel="current"`];
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`);
  if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
  rels.push(`<${link(1)}>; rel="first"`, `<${link(last)}>; rel="last"`);
  res.setHeader('Link', rels.join(','));
  return items.slice((page - 1) * perPage, page * perPage);
}
