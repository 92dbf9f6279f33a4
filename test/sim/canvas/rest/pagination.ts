// Canvas's list pagination (https://canvas.instructure.com/doc/api/file.pagination.html): `per_page`
// (default 10, at most 100, at least 1) and `page`, with a `Link` header of absolute URLs whose
// rels are current, next, prev, first and last, only those that apply, joined by "," as
// lib/api.rb's build_links writes them: `<base?other-params&page=N&per_page=M>; rel="next"`, the
// other query parameters kept (sorted, Rails `to_query` style) except page, per_page, access_token
// and api_key. Clients must treat the links as opaque: the bookmark flavour (BookmarkedCollection,
// used by e.g. students/submissions) pages with `page=first` / `page=bookmark:<base64url JSON>`
// and has no prev or last link.
import type { Request, Response } from 'express';

export const DEFAULT_PER_PAGE = 10;
export const MAX_PER_PAGE = 100;
const EXCLUDED = new Set(['page', 'per_page', 'access_token', 'api_key']);

/** Ruby's CGI.escape: everything but [a-zA-Z0-9_.~-] percent-encoded, space as '+'. */
function cgiEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Rails' Object#to_query for a parsed query (nested objects and arrays), pairs sorted. */
function toQuery(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => toQuery(v, `${prefix}[]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => toQuery(v, `${prefix}[${k}]`));
  }
  return [`${cgiEscape(prefix)}=${cgiEscape(String(value ?? ''))}`];
}

function otherParams(req: Request): string {
  const pairs = Object.entries(req.query as Record<string, unknown>)
    .filter(([k]) => !EXCLUDED.has(k))
    .flatMap(([k, v]) => toQuery(v, k))
    .sort();
  return pairs.length ? `${pairs.join('&')}&` : '';
}

export function perPage(req: Request): number {
  const raw = req.query.per_page;
  const n = typeof raw === 'string' ? parseInt(raw, 10) : NaN;
  return Math.min(Math.max(Number.isNaN(n) ? DEFAULT_PER_PAGE : n, 1), MAX_PER_PAGE);
}

function linkHeader(req: Request, baseUrl: string, rels: Array<[string, string | undefined]>) {
  const base = `${baseUrl}${req.baseUrl}${req.path}?${otherParams(req)}`;
  const size = perPage(req);
  return rels
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([rel, page]) => `<${base}page=${page}&per_page=${size}>; rel="${rel}"`)
    .join(',');
}

/** One page of `items` by page number, with the Link header set on `res`. */
export function paginate<T>(req: Request, res: Response, baseUrl: string, items: T[]): T[] {
  const size = perPage(req);
  const raw = typeof req.query.page === 'string' ? parseInt(req.query.page, 10) : 1;
  const page = Number.isNaN(raw) || raw < 1 ? 1 : raw;
  const last = Math.max(1, Math.ceil(items.length / size));
  res.set(
    'Link',
    linkHeader(req, baseUrl, [
      ['current', String(page)],
      ['next', page < last ? String(page + 1) : undefined],
      ['prev', page > 1 ? String(page - 1) : undefined],
      ['first', '1'],
      ['last', String(last)],
    ]),
  );
  // Past the end Canvas answers [] rather than 404 (lib/api.rb paginate_collection!).
  return items.slice((page - 1) * size, page * size);
}

function bookmarkFor(key: unknown[]): string {
  return `bookmark:${Buffer.from(JSON.stringify(key)).toString('base64url')}`;
}

function parseBookmark(page: string): unknown[] | undefined {
  if (!page.startsWith('bookmark:')) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(page.slice(9), 'base64url').toString('utf8'));
    return Array.isArray(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1; // nulls last
    if (y === null) return -1;
    return (x as number | string) < (y as number | string) ? -1 : 1;
  }
  return 0;
}

/**
 * One page of `items` (already sorted by `key`, ascending) by bookmark: the page after the bookmark
 * in `page`, with a Link header of current, next (when more remain) and first.
 */
export function paginateByBookmark<T>(
  req: Request,
  res: Response,
  baseUrl: string,
  items: T[],
  key: (item: T) => unknown[],
): T[] {
  const size = perPage(req);
  const page = typeof req.query.page === 'string' ? req.query.page : 'first';
  const after = parseBookmark(page);
  const rest = after ? items.filter((item) => compareKeys(key(item), after) > 0) : items;
  const slice = rest.slice(0, size);
  const more = rest.length > size;
  res.set(
    'Link',
    linkHeader(req, baseUrl, [
      ['current', after ? page : 'first'],
      ['next', more ? bookmarkFor(key(slice[slice.length - 1]!)) : undefined],
      ['first', 'first'],
    ]),
  );
  return slice;
}
