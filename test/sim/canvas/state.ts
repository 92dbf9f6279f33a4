// The Canvas simulator's data: one in-memory Canvas account. Routers (LTI platform, LTI Advantage,
// REST, Live Events, control API) read and change it; every change is announced on `changes` so
// the Live Events sender can publish it as Canvas would. Ids are local integers, as the REST API
// returns them; Live Events show them as global-id strings (see `globalId`).
import { EventEmitter } from 'node:events';

/** Canvas's shard prefix in global ids: local 565 on shard 2107 is "21070000000000565". */
const SHARD = 21070000000000000n;

/** The shard's id, as `$Canvas.shard.id` gives it: global ids are `shard * 10^13 + local`. */
export const SHARD_ID = String(SHARD / 10_000_000_000_000n);

/** A local id as Live Events send it: a global-id string. */
export function globalId(local: number): string {
  return String(SHARD + BigInt(local));
}

export type EnrollmentType =
  | 'StudentEnrollment'
  | 'TeacherEnrollment'
  | 'TaEnrollment'
  | 'DesignerEnrollment'
  | 'ObserverEnrollment';

export interface Course {
  id: number;
  name: string;
  course_code: string;
  workflow_state: 'unpublished' | 'available' | 'completed' | 'deleted';
  account_id: number;
  uuid: string;
  sis_course_id: string | null;
  created_at: string;
}

export interface User {
  id: number;
  name: string;
  sortable_name: string;
  short_name: string;
  email: string;
  login_id: string;
  sis_user_id: string | null;
  /** The LTI 1.3 `sub` of this user (Canvas's opaque lti_user_id / lti_id). */
  lti_id: string;
  avatar_url: string;
  created_at: string;
  /** Canvas's opaque user uuid (Live Events `uuid`); derived from the id when absent. */
  uuid?: string;
  updated_at?: string;
  /** Profile fields (GET /api/v1/users/:id/profile). */
  bio?: string | null;
  time_zone?: string;
  /** The profile's title (users#update `user[title]`; Profile `title`). */
  title?: string | null;
}

export interface Enrollment {
  id: number;
  course_id: number;
  user_id: number;
  type: EnrollmentType;
  enrollment_state: 'active' | 'invited' | 'completed' | 'inactive' | 'deleted';
  /** The observed student of an ObserverEnrollment. */
  associated_user_id?: number | null;
  created_at: string;
  updated_at: string;
}

export interface Assignment {
  id: number;
  course_id: number;
  name: string;
  points_possible: number;
  grading_type: 'points' | 'percent' | 'letter_grade' | 'pass_fail';
  /** Set when the assignment is a classic quiz's. */
  quiz_id: number | null;
  /** The assignment's LTI id (Live Events `lti_assignment_id`). */
  lti_context_id?: string;
  created_at: string;
  updated_at: string;
}

export interface Submission {
  id: number;
  assignment_id: number;
  user_id: number;
  score: number | null;
  grade: string | null;
  grader_id: number | null;
  workflow_state: 'unsubmitted' | 'submitted' | 'graded' | 'pending_review';
  submission_type: string | null;
  attempt: number | null;
  submitted_at: string | null;
  graded_at: string | null;
  updated_at: string;
  late: boolean;
  missing: boolean;
}

export interface Quiz {
  id: number;
  course_id: number;
  title: string;
  assignment_id: number;
  points_possible: number;
}

export interface QuizSubmission {
  id: number;
  quiz_id: number;
  user_id: number;
  submission_id: number;
  attempt: number;
  score: number | null;
  kept_score: number | null;
  workflow_state: 'untaken' | 'pending_review' | 'complete';
  started_at: string;
  finished_at: string | null;
}

/** A course wiki page (Pages API); only what wiki_page_updated needs. */
export interface WikiPage {
  id: number;
  course_id: number;
  url: string;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
  /** Draft (false) or published; Canvas's default for a page made through the API is published. */
  published?: boolean;
  /** Comma-separated roles that may edit (Pages API `editing_roles`). */
  editing_roles?: string;
}

/**
 * A course discussion topic; an announcement is one with `is_announcement`
 * (https://canvas.instructure.com/doc/api/discussion_topics.html#DiscussionTopic,
 * https://canvas.instructure.com/doc/api/announcements.html).
 */
export interface DiscussionTopic {
  id: number;
  course_id: number;
  title: string;
  /** The topic's HTML message. */
  message: string;
  is_announcement: boolean;
  user_id: number | null;
  posted_at: string;
  created_at: string;
  updated_at: string;
  workflow_state: 'active' | 'unpublished' | 'deleted';
}

/** A REST access token (Canvas OAuth2 / a user's generated token) and whose it is. */
export interface AccessToken {
  token: string;
  user_id: number;
  created_at: string;
}

/** A change made in the simulated Canvas, before it becomes a Live Event. */
export interface CanvasChange {
  /** The Live Event name Canvas emits for it, e.g. `grade_change`. */
  eventName: string;
  /** The course it happened in, when there is one. */
  courseId?: number;
  /** Who made it (metadata.user_id); undefined for system changes. */
  actorId?: number;
  /** The Live Event body, as Canvas documents it for that event. */
  body: Record<string, unknown>;
  at: string;
  /**
   * The request that made it (user-generated events carry request metadata); absent for changes
   * made by a background job (those carry job_id/job_tag instead).
   */
  request?: { method: string; url: string };
}

/** The whole simulated Canvas account. */
export class CanvasState {
  readonly accountId = 1;
  readonly courses = new Map<number, Course>();
  readonly users = new Map<number, User>();
  readonly enrollments = new Map<number, Enrollment>();
  readonly assignments = new Map<number, Assignment>();
  readonly submissions = new Map<number, Submission>();
  readonly quizzes = new Map<number, Quiz>();
  readonly quizSubmissions = new Map<number, QuizSubmission>();
  readonly wikiPages = new Map<number, WikiPage>();
  readonly discussionTopics = new Map<number, DiscussionTopic>();
  /** Users with account admin rights (may edit other users and any course's content). */
  readonly accountAdmins = new Set<number>();
  /**
   * The root account's "Enable Profiles" setting: users#update takes `user[bio]` and
   * `user[title]` only when it is on (Account#enable_profiles?). Canvas's default is off; the
   * simulator's is on, so the profile fields can be written unless a test turns it off.
   */
  enableProfiles = true;
  /** REST access tokens by token string. */
  readonly accessTokens = new Map<string, AccessToken>();
  /** Every change, in order; listeners (the Live Events sender) get each one as it happens. */
  readonly changes = new EventEmitter<{ change: [CanvasChange] }>();
  private nextId = 100;
  /** The simulated clock: tests may set it to make times reproducible. */
  now: () => Date = () => new Date();

  /** A fresh local id, unique across record types (as Canvas's are within a shard table). */
  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  time(): string {
    return this.now().toISOString();
  }

  announce(change: Omit<CanvasChange, 'at'>): void {
    this.changes.emit('change', { ...change, at: this.time() });
  }

  /** Records of `map` matching `where`, ordered by id (the order Canvas's REST lists use). */
  list<T extends { id: number }>(map: Map<number, T>, where: (item: T) => boolean = () => true) {
    return [...map.values()].filter(where).sort((a, b) => a.id - b.id);
  }
}
