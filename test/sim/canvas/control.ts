// The simulator's control API, for tests and the demo, under /__control (not a Canvas path):
// the state mutations (each announcing its Live Event), the Live Events stream (subscription,
// signing, outage, key rotation), and the faults Canvas shows in production: an outage (503 or
// connections refused), injected 5xx answers, forced 403 throttling, slow answers; plus counters.
import express, { Router } from 'express';
import {
  controlHandler,
  InputError,
  int,
  oneOf,
  optInt,
  optText,
  text,
} from '../common/control-input.js';
import { addOutageRoutes } from '../common/control-outage.js';
import { SimulatorFaults } from '../common/faults.js';
import type { LiveEventsKeys } from './live-events/keys.js';
import type { LiveEventsSender } from './live-events/sender.js';
import * as m from './mutations.js';
import type { RequestThrottle } from './rest/throttle.js';
import type { CanvasState, EnrollmentType } from './state.js';

/** The faults every non-control request goes through, answered as Canvas answers errors. */
export class Faults extends SimulatorFaults {
  constructor() {
    // Canvas's generic error answer carries an error report id.
    super((_status, faulted) => ({
      errors: [{ message: 'An error occurred.' }],
      error_report_id: 1000 + faulted,
    }));
  }
}

export interface ControlDeps {
  state: CanvasState;
  sender: LiveEventsSender;
  keys: LiveEventsKeys;
  throttle: RequestThrottle;
  faults: Faults;
  /** Every answer 503, or connections refused; back online after `forMs` when given. */
  goOffline(mode: '503' | 'refuse', forMs?: number): Promise<void>;
  goOnline(): Promise<void>;
}

const ENROLLMENT_TYPES = [
  'StudentEnrollment',
  'TeacherEnrollment',
  'TaEnrollment',
  'DesignerEnrollment',
  'ObserverEnrollment',
] as const satisfies readonly EnrollmentType[];

export function createControlRouter(deps: ControlDeps): Router {
  const { state, sender, keys, throttle, faults } = deps;
  const r = Router();
  r.use(express.json());

  /** Runs a handler, turning bad input into 400 and a refused mutation into its status. */
  const handle = controlHandler(m.SimulatorError);

  r.post(
    '/courses',
    handle((b) =>
      m.createCourse(state, {
        name: text(b, 'name'),
        course_code: optText(b, 'course_code'),
        sis_course_id: optText(b, 'sis_course_id'),
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );
  r.post(
    '/users',
    handle((b) =>
      m.createUser(state, {
        name: text(b, 'name'),
        email: optText(b, 'email'),
        login_id: optText(b, 'login_id'),
        sis_user_id: optText(b, 'sis_user_id'),
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );
  r.patch(
    '/users/:id',
    handle((b, req) =>
      m.updateUser(state, Number(req.params.id), {
        name: optText(b, 'name'),
        short_name: optText(b, 'short_name'),
        sortable_name: optText(b, 'sortable_name'),
        email: optText(b, 'email'),
        bio: b.bio === null ? null : optText(b, 'bio'),
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );
  r.post(
    '/tokens',
    handle((b) => ({ access_token: m.issueAccessToken(state, int(b, 'userId')) })),
  );
  r.post(
    '/enrollments',
    handle((b) =>
      m.enroll(state, {
        courseId: int(b, 'courseId'),
        userId: int(b, 'userId'),
        type: oneOf(b, 'type', ENROLLMENT_TYPES),
        enrollment_state: oneOf(b, 'state', [
          'active',
          'invited',
          'completed',
          'inactive',
          'deleted',
        ] as const),
        associated_user_id: optInt(b, 'associatedUserId'),
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );
  r.post(
    '/assignments',
    handle((b) =>
      m.createAssignment(state, {
        courseId: int(b, 'courseId'),
        name: text(b, 'name'),
        points_possible: optInt(b, 'points_possible'),
        grading_type: oneOf(b, 'grading_type', [
          'points',
          'percent',
          'letter_grade',
          'pass_fail',
        ] as const),
        quiz: b.quiz === true,
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );
  r.post(
    '/submissions',
    handle((b) =>
      m.submit(state, {
        assignmentId: int(b, 'assignmentId'),
        userId: int(b, 'userId'),
        submission_type: optText(b, 'submission_type'),
        body: optText(b, 'body'),
        url: optText(b, 'url'),
      }),
    ),
  );
  r.post(
    '/grades',
    handle((b) =>
      m.grade(state, {
        assignmentId: int(b, 'assignmentId'),
        userId: int(b, 'userId'),
        posted_grade: String(b.posted_grade ?? text(b, 'posted_grade')),
        graderId: optInt(b, 'graderId') ?? null,
      }),
    ),
  );
  r.post(
    '/completions',
    handle((b) => {
      m.completeCourse(state, {
        courseId: int(b, 'courseId'),
        userId: int(b, 'userId'),
        requirement_count: optInt(b, 'requirement_count'),
      });
    }),
  );
  r.post(
    '/quiz-submissions',
    handle((b) =>
      m.submitQuiz(state, {
        quizId: int(b, 'quizId'),
        userId: int(b, 'userId'),
        score: Number(b.score ?? NaN) >= 0 ? Number(b.score) : int(b, 'score'),
      }),
    ),
  );
  r.post(
    '/wiki-pages',
    handle((b) =>
      m.updateWikiPage(state, {
        courseId: int(b, 'courseId'),
        title: text(b, 'title'),
        body: typeof b.body === 'string' ? b.body : text(b, 'body'),
        pageId: optInt(b, 'pageId'),
        actorId: optInt(b, 'actorId'),
      }),
    ),
  );

  // Faults.
  addOutageRoutes(r, handle, deps, (b) => oneOf(b, 'mode', ['503', 'refuse'] as const) ?? '503');
  r.post(
    '/faults',
    handle((b) => {
      const status = optInt(b, 'status') ?? 500;
      if (status < 500 || status > 599) throw new InputError('status must be a 5xx');
      faults.inject(status, optInt(b, 'count') ?? 1);
    }),
  );
  r.delete(
    '/faults',
    handle(() => faults.clear()),
  );
  r.post(
    '/throttle',
    handle((b) => throttle.fill(optText(b, 'token'))),
  );
  r.delete(
    '/throttle',
    handle(() => throttle.reset()),
  );

  // Live Events.
  r.post(
    '/live-events/subscription',
    handle((b) => {
      const url = text(b, 'url');
      if (!/^https?:\/\//.test(url)) throw new InputError('url must be an http(s) URL');
      const events = Array.isArray(b.events) ? b.events.map(String) : undefined;
      sender.subscribe({ url, signPayload: b.signPayload !== false, events });
      return sender.subscription;
    }),
  );
  r.delete(
    '/live-events/subscription',
    handle(() => sender.subscribe(undefined)),
  );
  r.post(
    '/live-events/stop',
    handle(() => sender.stop()),
  );
  r.post(
    '/live-events/start',
    handle(() => sender.start()),
  );
  r.post(
    '/live-events/rotate',
    handle(() => keys.rotate()),
  );
  r.get('/live-events/log', (_req, res) => {
    res.json(
      sender.log.map(({ event, outcome, attempts, lastError }) => ({
        event,
        outcome,
        attempts,
        lastError,
      })),
    );
  });

  r.get('/counters', (_req, res) => {
    res.json({
      requests: faults.requests,
      faulted: faults.faulted,
      throttled: throttle.throttled,
      events: { ...sender.counters },
      liveEventsRunning: sender.isRunning,
      offline: faults.offline,
    });
  });
  return r;
}
