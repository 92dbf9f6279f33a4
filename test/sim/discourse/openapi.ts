// Checks answers against the response schemas of Discourse's official OpenAPI document
// (../shared/reference/discourse_api_docs/openapi.json, from discourse/discourse_api_docs): every
// required key, recursively, and the JSON type of every non-null value. Null passes any type: the
// document is generated from sample answers and marks many nullable fields with one type only.
import { readFileSync } from 'node:fs';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};

const REFERENCE = new URL('../../../../shared/reference/discourse_api_docs/', import.meta.url);

let doc: { paths: Record<string, Record<string, unknown>>; components?: unknown } | undefined;
function load() {
  doc ??= JSON.parse(readFileSync(new URL('openapi.json', REFERENCE), 'utf8'));
  return doc!;
}

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  let x: unknown = load();
  for (const part of s.$ref.replace(/^#\//, '').split('/'))
    x = (x as Record<string, unknown>)[part];
  return resolve(x as Schema);
}

/** The 200 response schema of `method path` (path as the document writes it). */
export function responseSchema(path: string, method: string): Schema {
  const op = load().paths[path]?.[method] as
    { responses: Record<string, { content?: Record<string, { schema: Schema }> }> } | undefined;
  const schema = op?.responses['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`no 200 schema for ${method} ${path}`);
  return schema;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

/** Problems of `value` against `schema` ([] when it conforms). */
export function conformance(value: unknown, schema: Schema, at = '$'): string[] {
  const s = resolve(schema);
  if (value === null) return [];
  const problems: string[] = [];
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const actual = typeOf(value);
  if (
    types.length > 0 &&
    !types.includes(actual) &&
    !(actual === 'integer' && types.includes('number'))
  ) {
    problems.push(`${at}: ${actual}, expected ${types.join('|')}`);
    return problems;
  }
  if (s.properties || s.required) {
    const obj = value as Record<string, unknown>;
    for (const key of s.required ?? []) {
      if (!(key in obj)) problems.push(`${at}.${key}: missing`);
    }
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      if (key in obj) problems.push(...conformance(obj[key], sub, `${at}.${key}`));
    }
  }
  if (s.items && Array.isArray(value)) {
    value.forEach((item, i) => problems.push(...conformance(item, s.items!, `${at}[${i}]`)));
  }
  return problems;
}

/** The reference webhook payload keys (../shared/reference/discourse/webhook_payload_keys.json). */
export function referenceTopicPayloadKeys(): string[] {
  const file = new URL('../discourse/webhook_payload_keys.json', REFERENCE);
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const key = Object.keys(json).find((k) => k.startsWith('topic_payload_keys'))!;
  return json[key] as string[];
}
