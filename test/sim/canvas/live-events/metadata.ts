// Turns a CanvasChange into the Live Event Canvas emits: `{metadata, body}`. The metadata fields are
// Canvas's (doc/api/data_services/json/canvas/metadata.json in instructure/canvas-lms;
// https://developerdocs.instructure.com/services/canvas/data-services/live-events/overview/file.data_service_canvas_event_metadata):
// always producer, event_name, event_time (ISO 8601, milliseconds) and the root account's ids;
// context_* when the change happened in a course; the user and request fields for user-generated
// events (made by an HTTP request); job_id/job_tag for system-generated ones.
import { createHash, randomUUID } from 'node:crypto';
import { globalId, type CanvasChange, type CanvasState } from '../state.js';

export interface LiveEvent {
  metadata: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** Who the simulated Canvas is, as its Live Events name it. */
export interface CanvasIdentity {
  /** e.g. `127.0.0.1:43123` (Canvas: `oxana.instructure.com`). */
  hostname: string;
  /** The base URL requests are made against, e.g. `http://127.0.0.1:43123`. */
  baseUrl: string;
  rootAccountUuid: string;
}

/** The background job Canvas would have run for a change nobody requested. */
const JOB_TAGS: Record<string, string> = {
  grade_change: 'Assignment#post_submissions',
  enrollment_created: 'SIS::CSV::ImportRefactored#run_parallel_importer',
  enrollment_updated: 'SIS::CSV::ImportRefactored#run_parallel_importer',
  wiki_page_updated: 'ContentMigration#import_content',
};

function jobId(seed: string): string {
  return String(BigInt('0x' + createHash('sha256').update(seed).digest('hex').slice(0, 13)));
}

export function buildLiveEvent(
  state: CanvasState,
  change: CanvasChange,
  who: CanvasIdentity,
): LiveEvent {
  const metadata: Record<string, unknown> = {
    root_account_id: globalId(state.accountId),
    root_account_uuid: who.rootAccountUuid,
    root_account_lti_guid: `${who.rootAccountUuid}.${who.hostname}`,
    producer: 'canvas',
    event_name: change.eventName,
    event_time: new Date(change.at).toISOString(),
  };
  const course = change.courseId === undefined ? undefined : state.courses.get(change.courseId);
  if (course) {
    metadata.context_type = 'Course';
    metadata.context_id = globalId(course.id);
    metadata.context_account_id = globalId(course.account_id);
    if (course.sis_course_id) metadata.context_sis_source_id = course.sis_course_id;
  }
  const actor = change.actorId === undefined ? undefined : state.users.get(change.actorId);
  if (actor && change.request) {
    metadata.user_id = globalId(actor.id);
    metadata.user_login = actor.login_id;
    metadata.user_account_id = globalId(state.accountId);
    if (actor.sis_user_id) metadata.user_sis_id = actor.sis_user_id;
    metadata.time_zone = actor.time_zone ?? null;
    if (course) {
      const role = state
        .list(state.enrollments)
        .find((e) => e.course_id === course.id && e.user_id === actor.id);
      if (role) metadata.context_role = role.type;
    }
    metadata.request_id = randomUUID();
    metadata.session_id = createHash('md5').update(`session:${actor.id}`).digest('hex');
    metadata.hostname = who.hostname;
    metadata.http_method = change.request.method;
    metadata.user_agent = 'canvas-simulator';
    metadata.client_ip = '127.0.0.1';
    metadata.url = new URL(change.request.url, who.baseUrl).toString();
    metadata.referrer = null;
  } else {
    metadata.job_id = jobId(`${change.eventName}:${change.at}:${JSON.stringify(change.body)}`);
    metadata.job_tag = JOB_TAGS[change.eventName] ?? `Canvas::LiveEvents#${change.eventName}`;
  }
  return { metadata, body: change.body };
}
