import { z } from 'zod';

/**
 * A Canvas id as the Live Events and REST APIs send it: a string of digits, either local ("565")
 * or global ("21070000000000565"). Kept as a string: global ids exceed 2^53.
 */
export const canvasId = z.string().regex(/^\d{1,20}$/, 'must be a Canvas id (a string of digits)');

/** A Discourse record id: Discourse's JSON API and webhooks send integers. */
export const discourseId = z.number().int().positive();

/** An ISO 8601 timestamp with a zone, as both APIs send them (`2019-11-01T19:11:05.222Z`). */
export const timestamp = z.iso.datetime({ offset: true });

/** Example data: a Canvas global id, distinct per `seq` (the shard prefix of the reference payloads). */
export function exampleCanvasId(seq: number, base = 0): string {
  return String(21070000000000000n + BigInt(base) + BigInt(seq));
}

/** Example data: a fixed instant plus `seq` minutes, so examples are reproducible. */
export function exampleTime(seq: number): string {
  return new Date(Date.UTC(2026, 8, 1, 8, 0, 0) + seq * 60_000).toISOString();
}
