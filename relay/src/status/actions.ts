import express, { Router } from 'express';
import { z } from 'zod';
import { CdsError, type EntityType, type Tier } from '@cds/shared';
import type { Store } from '../db/connect.js';
import { principalOf, type Principal } from '../http/auth.js';
import { resolveConflict } from '../ops/conflicts.js';
import { replayDeadLetters } from '../ops/dead-letters.js';
import type { RelayQueues } from '../queue/queues.js';
import { actorOf, keyVisibleTo, mayAct } from './scope.js';

export interface StatusActionsDeps {
  store: Store;
  queues: RelayQueues;
  tierOf: (entity: EntityType) => Tier;
}

const resolveBody = z.object({
  take: z.enum(['canvas', 'discourse'], { error: 'must be "canvas" or "discourse"' }),
});
const eventId = z.uuid({ error: 'must be an event id (a UUID)' }).transform((s) => s.toLowerCase());

/**
 * What may act on a key: an admin (the admin token or a Discourse admin), an instructor whose
 * course covers it, or a Discourse moderator on the forum keys they read (scope.ts). Students and
 * plain forum users read their own state but do not act (the same rule as the pages' buttons).
 * Out of scope answers 404, as a read does, so ids of other courses are not confirmed.
 */
function requireActor(principal: Principal, key: string | undefined, what: string): void {
  if (key === undefined || !keyVisibleTo(principal, key))
    throw new CdsError('ERR_NOT_FOUND', `no ${what} in the relay's log`);
  if (!mayAct(principal))
    throw new CdsError(
      'ERR_FORBIDDEN',
      principal.kind === 'course'
        ? `only an instructor of course ${principal.course} may do this`
        : 'only a Discourse admin or moderator may do this',
    );
}

/**
 * The status API's two actions for the LTI page and admins (issue 10): resolve an open conflict by
 * taking a side (`POST /v1/status/conflicts/:id/resolve`, `{"take": "canvas"|"discourse"}`) and
 * replay an event's open dead letters (`POST /v1/status/dead-letters/:eventId/replay`). Both are
 * the CLI's operations, audited with the person as actor, and answer 202: the pipeline does the rest.
 */
export function statusActionsRouter(deps: StatusActionsDeps): Router {
  const router = Router();
  router.use('/v1/status', express.json({ limit: '16kb' }));

  router.post('/v1/status/conflicts/:id/resolve', async (req, res) => {
    const id = z.string().min(1).max(64).safeParse(req.params.id);
    const body = resolveBody.safeParse(req.body);
    if (!id.success)
      throw new CdsError('ERR_MALFORMED', 'path parameter "id" must be a conflict id');
    if (!body.success)
      throw new CdsError('ERR_MALFORMED', `body "take" ${body.error.issues[0]!.message}`);
    const principal = principalOf(res.locals);
    const conflict = await deps.store.db
      .selectFrom('conflicts')
      .select('key')
      .where('id', '=', id.data)
      .executeTakeFirst();
    requireActor(principal, conflict?.key, `conflict ${id.data}`);
    const created = await resolveConflict(
      deps.store,
      deps.queues,
      id.data,
      body.data.take,
      actorOf(principal),
      deps.tierOf,
    );
    res.status(202).json({ conflictId: id.data, take: body.data.take, eventId: created });
  });

  router.post('/v1/status/dead-letters/:eventId/replay', async (req, res) => {
    const parsed = eventId.safeParse(req.params.eventId);
    if (!parsed.success)
      throw new CdsError(
        'ERR_MALFORMED',
        `path parameter "eventId" ${parsed.error.issues[0]!.message}`,
      );
    const principal = principalOf(res.locals);
    const event = await deps.store.db
      .selectFrom('events')
      .select('key')
      .where('id', '=', parsed.data)
      .executeTakeFirst();
    requireActor(principal, event?.key, `event ${parsed.data}`);
    const replayed = await replayDeadLetters(
      deps.store,
      deps.queues,
      [parsed.data],
      actorOf(principal),
    );
    if (replayed === 0)
      throw new CdsError('ERR_CONFLICT', `event ${parsed.data} has no open dead letter to replay`);
    res.status(202).json({ eventId: parsed.data, replayed });
  });

  return router;
}
