// Admin > API > Webhooks over the admin API (Admin::WebHooksController, AdminWebHookSerializer;
// https://meta.discourse.org/t/setting-up-webhooks/49045): GET/POST /admin/api/web_hooks,
// GET/PUT/DELETE /admin/api/web_hooks/:id, POST /admin/api/web_hooks/:id/ping, and the events
// list. Params are Rails' `web_hook[...]` (JSON `{"web_hook": {...}}` or form fields).
import { Router, type Request } from 'express';
import { DiscourseError, notFound } from '../mutations.js';
import { requireAdmin } from '../rest/auth.js';
import { h } from '../rest/router.js';
import type { DiscourseState, DiscourseWebHook } from '../state.js';
import { WEB_HOOK_EVENT_TYPES } from '../state.js';
import type { WebhookEmitter } from './emitter.js';

const CONTENT_TYPES = [
  { id: 1, name: 'application/json' },
  { id: 2, name: 'application/x-www-form-urlencoded' },
];
const DELIVERY_STATUSES = [
  { id: 1, name: 'inactive' },
  { id: 2, name: 'failed' },
  { id: 3, name: 'successful' },
  { id: 4, name: 'disabled' },
];

function eventTypes(ids?: number[]) {
  return Object.entries(WEB_HOOK_EVENT_TYPES)
    .filter(([, id]) => !ids || ids.includes(id))
    .map(([name, id]) => ({ id, name, group: Math.floor(id / 100) }));
}

export function serializeWebHook(w: DiscourseWebHook): Record<string, unknown> {
  return {
    id: w.id,
    payload_url: w.payload_url,
    content_type: w.content_type,
    last_delivery_status: w.last_delivery_status,
    secret: w.secret,
    wildcard_web_hook: w.wildcard_web_hook,
    verify_certificate: w.verify_certificate,
    active: w.active,
    web_hook_event_types: eventTypes(w.web_hook_event_type_ids),
    category_ids: w.category_ids,
    tag_names: [],
    group_ids: w.group_ids,
  };
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  return v === true || v === 'true' || v === '1' || v === 1;
}

function ints(v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x) => x !== '').map(Number);
}

/** Applies `web_hook[...]` params with WebHook's validations; answers 422 with their messages. */
export function applyWebHookParams(
  state: DiscourseState,
  w: DiscourseWebHook,
  p: Record<string, unknown>,
): void {
  const next = { ...w };
  if (p.payload_url !== undefined) next.payload_url = String(p.payload_url).trim();
  if (p.content_type !== undefined) next.content_type = Number(p.content_type);
  if (p.secret !== undefined) next.secret = String(p.secret ?? '');
  next.wildcard_web_hook = bool(p.wildcard_web_hook) ?? next.wildcard_web_hook;
  next.verify_certificate = bool(p.verify_certificate) ?? next.verify_certificate;
  next.active = bool(p.active) ?? next.active;
  next.web_hook_event_type_ids = ints(p.web_hook_event_type_ids) ?? next.web_hook_event_type_ids;
  next.category_ids = ints(p.category_ids) ?? next.category_ids;
  next.group_ids = ints(p.group_ids) ?? next.group_ids;
  const errors: string[] = [];
  if (!next.payload_url) errors.push("Payload URL can't be blank");
  else if (!/^https?:\/\/\S+$/.test(next.payload_url)) errors.push('Payload URL is invalid');
  if (next.secret && next.secret.length < 12) {
    errors.push('Secret is too short (minimum is 12 characters)');
  }
  if (![1, 2].includes(next.content_type)) errors.push("Content type can't be blank");
  const known = new Set(Object.values(WEB_HOOK_EVENT_TYPES));
  next.web_hook_event_type_ids = next.web_hook_event_type_ids.filter((id) => known.has(id));
  if (!next.wildcard_web_hook && next.web_hook_event_type_ids.length === 0) {
    errors.push("Web hook event types can't be blank");
  }
  if (errors.length) throw new DiscourseError(422, errors);
  Object.assign(w, next, { updated_at: state.time() });
}

export function createWebHooksRouter(state: DiscourseState, emitter: WebhookEmitter): Router {
  const r = Router();
  const params = (req: Request) =>
    ((req.body as Record<string, unknown> | undefined)?.web_hook ?? {}) as Record<string, unknown>;
  const find = (req: Request) => {
    const w = state.webHooks.get(Number(req.params.id));
    if (!w) throw notFound();
    return w;
  };

  r.get(
    '/admin/api/web_hooks',
    h((req, res) => {
      requireAdmin(res);
      const offset = Number(req.query.offset ?? 0) || 0;
      const all = state.list(state.webHooks);
      return {
        web_hooks: all.slice(offset, offset + 50).map(serializeWebHook),
        extras: {
          event_types: eventTypes(),
          default_event_types: eventTypes([201, 202, 203, 204]),
          content_types: CONTENT_TYPES,
          delivery_statuses: DELIVERY_STATUSES,
        },
        total_rows_web_hooks: all.length,
        load_more_web_hooks: `/admin/api/web_hooks.json?limit=50&offset=${offset + 50}`,
      };
    }),
  );
  r.post(
    '/admin/api/web_hooks',
    h((req, res) => {
      requireAdmin(res);
      const now = state.time();
      const w: DiscourseWebHook = {
        id: 0,
        payload_url: '',
        content_type: 1,
        secret: '',
        wildcard_web_hook: false,
        verify_certificate: true,
        active: false,
        web_hook_event_type_ids: [],
        category_ids: [],
        group_ids: [],
        last_delivery_status: 1,
        created_at: now,
        updated_at: now,
      };
      applyWebHookParams(state, w, params(req));
      w.id = state.id('webHooks');
      state.webHooks.set(w.id, w);
      return { web_hook: serializeWebHook(w) };
    }),
  );
  r.get(
    '/admin/api/web_hooks/:id',
    h((req, res) => {
      requireAdmin(res);
      return { web_hook: serializeWebHook(find(req)) };
    }),
  );
  r.put(
    '/admin/api/web_hooks/:id',
    h((req, res) => {
      requireAdmin(res);
      const w = find(req);
      applyWebHookParams(state, w, params(req));
      return { web_hook: serializeWebHook(w) };
    }),
  );
  r.delete(
    '/admin/api/web_hooks/:id',
    h((req, res) => {
      requireAdmin(res);
      state.webHooks.delete(find(req).id);
      return { success: 'OK' };
    }),
  );
  r.post(
    '/admin/api/web_hooks/:id/ping',
    h((req, res) => {
      requireAdmin(res);
      emitter.ping(find(req));
      return { success: 'OK' };
    }),
  );
  r.get(
    '/admin/api/web_hooks/:id/events',
    h((req, res) => {
      requireAdmin(res);
      const w = find(req);
      const events = emitter.events.filter((e) => e.web_hook_id === w.id).reverse();
      return {
        web_hook_events: events.slice(0, 50).map((e) => ({
          id: e.id,
          web_hook_id: e.web_hook_id,
          request_url: w.payload_url,
          headers: JSON.stringify(e.headers),
          payload: e.payload,
          status: e.status,
          created_at: e.created_at,
        })),
        total_rows_web_hook_events: events.length,
        extras: { web_hook_id: w.id },
      };
    }),
  );
  return r;
}
