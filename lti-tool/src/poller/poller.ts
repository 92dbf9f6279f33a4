// The REST poller: back-fills what the Live Events missed (an outage of the stream, events Canvas
// dropped after its retries). Per course and per stream it keeps a cursor (the newest change time
// seen) in the database, asks Canvas what changed since (with an overlap: the content dedupe makes
// a re-read harmless), maps each change through the Live Events mapping, and writes the events and
// the new cursor to the outbox in one transaction: a cursor never passes an event not stored.
import {
  canvasIdOnShard,
  canvasShardOf,
  CdsError,
  InvalidConfig,
  localCanvasId,
  mapCanvasLiveEvent,
  toCdsError,
  type CanvasMapOptions,
  type SyncEvent,
} from '@cds/shared';
import type { CanvasOutbox } from '../sender/outbox.js';
import {
  enrollmentEventOf,
  gradeChangeOf,
  submissionEventOf,
  type LiveEventShape,
  type RestAssignment,
  type RestEnrollment,
  type RestSubmission,
} from './build.js';
import type { CanvasRest } from './canvas-rest.js';

export type PollStream = 'grades' | 'submissions' | 'enrollments';
export const POLL_STREAMS: readonly PollStream[] = ['grades', 'submissions', 'enrollments'];

export interface CanvasPollerDeps {
  rest: CanvasRest;
  outbox: CanvasOutbox;
  /**
   * The courses to watch, by the id Live Events give them (`metadata.context_id`, a global id
   * such as "21070000000000565"), or local ids with `shardId`.
   */
  courses: () => Iterable<string> | Promise<Iterable<string>>;
  /** CANVAS_SHARD_ID: the shard of local course ids (global ids carry their own). */
  shardId?: string;
  /** Time between rounds. @defaultValue 300000 (5 minutes) */
  intervalMs?: number;
  /** How far before the cursor each round reads again (late commits, clock skew). @defaultValue 60000 */
  overlapMs?: number;
  /** Where a course without a cursor starts. @defaultValue the epoch: everything */
  startAt?: string;
  streams?: readonly PollStream[];
  mapOptions?: Omit<CanvasMapOptions, 'lookup'>;
  /** Told after events were stored: the sender's `wake`. */
  onStored?: () => void;
  onError?: (message: string) => void;
}

export interface CoursePollResult {
  course: string;
  stream: PollStream;
  found: number;
  stored: number;
  error?: string;
}

export interface CanvasPoller {
  /** One round over every course and stream; errors are reported per course, not thrown. */
  pollOnce(): Promise<CoursePollResult[]>;
  /**
   * One course now, every stream ("Sync now"), also a course not in the polled list; throws when
   * a stream fails, so the request that asked is retried.
   */
  pollCourse(id: string): Promise<CoursePollResult[]>;
  close(): Promise<void>;
}

const EPOCH = '1970-01-01T00:00:00.000Z';
// Canvas's documented enrollment states; without state[] the API lists only active and invited.
const ENROLLMENT_STATES = [
  'active',
  'invited',
  'creation_pending',
  'deleted',
  'rejected',
  'completed',
  'inactive',
];

/** Starts polling every `intervalMs` (the first round at once); `close()` stops it. */
export function startCanvasPoller(deps: CanvasPollerDeps): CanvasPoller {
  const poller = createCanvasPoller(deps);
  const intervalMs = deps.intervalMs ?? 300_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let round: Promise<unknown> = Promise.resolve();
  const tick = () => {
    round = poller.pollOnce().finally(() => {
      if (!closed) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    pollOnce: poller.pollOnce,
    pollCourse: poller.pollCourse,
    async close() {
      closed = true;
      clearTimeout(timer);
      await round.catch(() => undefined);
    },
  };
}

/** The poller without a schedule: `pollOnce()` runs one round. */
export function createCanvasPoller(deps: CanvasPollerDeps): CanvasPoller {
  const overlapMs = deps.overlapMs ?? 60_000;
  const streams = deps.streams ?? POLL_STREAMS;
  let running: Promise<CoursePollResult[]> | undefined;

  function course(id: string): { global: string; local: string; shard: bigint } {
    if (!/^\d{1,20}$/.test(id)) throw new InvalidConfig(`course id "${id}" is not a Canvas id`);
    const shard = canvasShardOf(id) ?? (deps.shardId ? BigInt(deps.shardId) : undefined);
    if (shard === undefined)
      throw new InvalidConfig(
        `course ${id} is a local id: give the global id Live Events use (context_id) or set CANVAS_SHARD_ID`,
      );
    const local = localCanvasId(id);
    return { global: canvasIdOnShard(local, shard)!, local, shard };
  }

  async function since(
    courseId: string,
    stream: PollStream,
  ): Promise<{ query: string; cursor: string }> {
    const cursor = (await deps.outbox.cursor(courseId, stream)) ?? deps.startAt ?? EPOCH;
    const t = Math.max(0, Date.parse(cursor) - overlapMs);
    return { query: new Date(t).toISOString(), cursor };
  }

  async function map(shapes: LiveEventShape[]): Promise<SyncEvent[]> {
    const events: SyncEvent[] = [];
    for (const shape of shapes) {
      try {
        const result = await mapCanvasLiveEvent(shape, deps.mapOptions);
        if ('events' in result) events.push(...result.events);
      } catch (error) {
        const failure = toCdsError(error);
        // A record that cannot map never will: report it and go on, or the cursor sticks here.
        if (failure.code !== 'ERR_INVALID_EVENT') throw failure;
        deps.onError?.(`skipped ${shape.metadata.event_name} from REST: ${failure.message}`);
      }
    }
    return events;
  }

  async function pollStream(
    c: ReturnType<typeof course>,
    stream: PollStream,
  ): Promise<CoursePollResult> {
    const { query, cursor } = await since(c.global, stream);
    let shapes: Array<{ shape: LiveEventShape; time: string }> = [];
    const base = `/api/v1/courses/${c.local}`;
    if (stream === 'enrollments') {
      // https://canvas.instructure.com/doc/api/enrollments.html#method.enrollments_api.index
      // (no updated_since filter: the cursor filters here).
      const states = ENROLLMENT_STATES.map((s) => `state[]=${s}`).join('&');
      const rows = await deps.rest.list<RestEnrollment>(
        `${base}/enrollments?${states}&per_page=100`,
      );
      shapes = rows
        .filter((e) => Date.parse(e.updated_at) > Date.parse(query))
        .map((e) => ({ shape: enrollmentEventOf(e, c.global, c.shard), time: e.updated_at }));
    } else {
      // https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.for_students
      const filter = stream === 'grades' ? 'graded_since' : 'submitted_since';
      const order = stream === 'grades' ? '&order=graded_at' : '';
      const rows = await deps.rest.list<RestSubmission>(
        `${base}/students/submissions?student_ids[]=all&${filter}=${encodeURIComponent(query)}${order}&per_page=100`,
      );
      if (stream === 'grades') {
        const assignments =
          rows.length === 0
            ? []
            : await deps.rest.list<RestAssignment>(`${base}/assignments?per_page=100`);
        const byId = new Map(assignments.map((a) => [String(a.id), a]));
        for (const s of rows) {
          const shape = gradeChangeOf(s, byId.get(String(s.assignment_id)), c.global, c.shard);
          if (shape) shapes.push({ shape, time: s.graded_at! });
        }
      } else {
        for (const s of rows) {
          const shape = submissionEventOf(s, c.global, c.shard);
          if (shape) shapes.push({ shape, time: s.submitted_at! });
        }
      }
    }
    // Oldest first, so the outbox (and the relay) see a record's changes in order.
    shapes.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const events = await map(shapes.map((s) => s.shape));
    const newest = shapes.reduce(
      (max, s) => (Date.parse(s.time) > Date.parse(max) ? new Date(s.time).toISOString() : max),
      cursor,
    );
    const results = await deps.outbox.enqueue(events, 'poller', {
      courseId: c.global,
      stream,
      cursor: newest,
    });
    const stored = results.filter((r) => r.status === 'stored').length;
    return { course: c.global, stream, found: events.length, stored };
  }

  async function round(): Promise<CoursePollResult[]> {
    const results: CoursePollResult[] = [];
    for (const id of await deps.courses()) {
      for (const stream of streams) {
        try {
          results.push(await pollStream(course(id), stream));
        } catch (error) {
          const failure = toCdsError(error);
          const message = `polling ${stream} of course ${id}: ${failure.message}`;
          deps.onError?.(message);
          results.push({ course: id, stream, found: 0, stored: 0, error: message });
          if (failure instanceof CdsError && failure.code === 'ERR_INVALID_CONFIG') break;
        }
      }
    }
    if (results.some((r) => r.stored > 0)) deps.onStored?.();
    return results;
  }

  return {
    // Rounds never overlap: a "sync now" during a round waits for it and shares its result.
    pollOnce() {
      running ??= round().finally(() => (running = undefined));
      return running;
    },
    async pollCourse(id) {
      const results: CoursePollResult[] = [];
      for (const stream of streams) results.push(await pollStream(course(id), stream));
      if (results.some((r) => r.stored > 0)) deps.onStored?.();
      return results;
    },
    async close() {
      await running?.catch(() => undefined);
    },
  };
}
