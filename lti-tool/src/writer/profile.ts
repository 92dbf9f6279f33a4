// profile to Canvas (DESIGN.md section 3: field by field; name and the other Canvas fields come
// from Canvas, bio and avatar from Discourse). Only the Discourse-owned fields Canvas stores are
// written, through users#update (https://canvas.instructure.com/doc/api/users.html#method.users.update,
// UsersController#update in instructure/canvas-lms): `user[bio]` and `user[title]` (set on the
// user's profile; Canvas takes them only when the root account has profiles enabled, from a caller
// who may manage the user's details) and `user[avatar][url]` (an external avatar image). The
// Canvas-owned fields (name, sortable_name, short_name, email, time_zone, locale) are never sent.
// Discourse fields Canvas has nowhere to keep (website, location) are skipped, and the event's
// outcome says so; that is not a failure.
import { PROFILE_FIELD_OWNERS, type ProfileV1 } from '@cds/shared';
import { localCanvasId as localId } from '@cds/shared';
import type { Applier } from './appliers.js';
import { CanvasRefused } from './canvas-client.js';
import { parsedValue, rejected, settle } from './outcomes.js';
import type { CanvasRestWrites } from './rest.js';

const PROFILE_KEY = /^user:(\d+)$/;

/** The Discourse-owned profile fields Canvas stores, as users#update names them. */
const CANVAS_FIELDS: Partial<Record<keyof ProfileV1, string>> = {
  bio_raw: 'user[bio]',
  title: 'user[title]',
  avatar_url: 'user[avatar][url]',
};

const DISCOURSE_OWNED = (
  Object.entries(PROFILE_FIELD_OWNERS) as Array<[keyof ProfileV1, string]>
).flatMap(([field, owner]) => (owner === 'discourse' ? [field] : []));

/** Each profile change written alone, in order. */
export function profiles(rest: CanvasRestWrites): Applier {
  return async (items, ctx) => {
    for (const item of items) {
      ctx.pace();
      const keyUser = PROFILE_KEY.exec(item.key)?.[1];
      if (!keyUser) {
        await ctx.record(item.eventId, rejected(`profile key "${item.key}" names no Canvas user`));
        continue;
      }
      const user = localId(keyUser);
      if (item.op === 'delete') {
        // A forum account going away leaves the Canvas user as it is.
        await ctx.record(item.eventId, {
          outcome: 'applied',
          note: `a profile removal is not written to Canvas: user ${user} stays as it is`,
        });
        continue;
      }
      const profile = await parsedValue(ctx, item, 'profile');
      if (!profile) continue;
      if (localId(profile.canvas_user_id) !== user) {
        await ctx.record(
          item.eventId,
          rejected(`profile value is for user ${profile.canvas_user_id}, not its key ${item.key}`),
        );
        continue;
      }
      const form: Record<string, string> = {};
      const skipped: string[] = [];
      for (const field of DISCOURSE_OWNED) {
        const fieldValue = profile[field];
        if (fieldValue === undefined) continue;
        const param = CANVAS_FIELDS[field];
        if (param) form[param] = String(fieldValue);
        else skipped.push(field);
      }
      const skippedNote = skipped.length
        ? `Canvas has no field for ${skipped.join(', ')}: skipped`
        : undefined;
      if (Object.keys(form).length === 0) {
        await ctx.record(item.eventId, {
          outcome: 'applied',
          note: skippedNote ?? 'no Discourse-owned field Canvas stores: nothing written',
        });
        continue;
      }
      await settle(ctx, item.eventId, async () => {
        const updated = await rest.send<{ id?: unknown }>('PUT', `/api/v1/users/${user}`, form);
        if (!updated) throw new CanvasRefused(`Canvas has no user ${user} (404)`, 404);
        return skippedNote;
      });
    }
  };
}
