// What the relay's status API answers in the render test (shapes of relay/src/status/queries.ts
// and course.ts), and the plugin's token endpoint.
export const TOKEN = 'cds-test-token';
export const DEAD_EVENT = '01900000-0000-7000-8000-00000000dead';
/** A forum post's dead letter: no course's status lists it, GET /v1/status/open-items does. */
export const DEAD_POST_EVENT = '01900000-0000-7000-8000-0000000dead2';

const event = (key: string, state: string, reason: string) => ({
  id: '01900000-0000-7000-8000-000000000001',
  entity: 'forum_post',
  key,
  source: 'discourse',
  producer: 'discourse-webhook',
  op: 'upsert',
  tier: 'background',
  schema: 1,
  state,
  reason,
  receivedAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:00:01.000Z',
});

// Links (shapes of shared/src/links/links.ts; GET /v1/status/links, relay/src/links/router.ts).
export const WAITING_POST = 'topic:3/post:6';
export const USER_NOT_LINKED =
  "pending: user not linked (Discourse user @ann (id 9) is not linked to a Canvas user; they can link their account from the tool's page in Canvas)";
export const COURSE_NOT_LINKED =
  "pending: course not linked (Canvas course 44 has no Discourse category yet; an instructor links it from the tool's page in Canvas)";
export const CATEGORY_NOT_LINKED =
  'pending: course not linked (Discourse category 77 is not linked to a Canvas course)';
export const CANVAS_USER_NOT_LINKED =
  "pending: user not linked (Canvas user 55 has no forum account linked; the student can link their forum account from the tool's page in Canvas)";

export const ENTITIES: Record<string, unknown> = {
  'topic:3/post:5': {
    key: 'topic:3/post:5',
    syncState: null,
    events: [event('topic:3/post:5', 'dead', 'Canvas answered 500 five times')],
    conflicts: [],
  },
  [WAITING_POST]: {
    key: WAITING_POST,
    syncState: null,
    events: [event(WAITING_POST, 'waiting', USER_NOT_LINKED)],
    conflicts: [],
  },
};

const backlog = {
  critical: { backlog: 0, lagMs: 0 },
  high: { backlog: 2, lagMs: 42_000 },
  background: { backlog: 7, lagMs: 300_000 },
};

export const LINK_42 = {
  course_id: '42',
  category_id: 12,
  category_name: 'Biology 101',
  group_id: 41,
  group_name: 'course-42',
  method: 'created',
  made_by: 'lti:7@course:42',
  created_at: '2026-11-20T08:30:00.000Z',
};

export const LINK_43 = {
  course_id: '43',
  category_id: 13,
  category_name: 'Chemistry',
  group_id: 43,
  group_name: 'course-43',
  method: 'admin',
  made_by: 'cli:root@relay',
  created_at: '2026-11-21T14:05:00.000Z',
};

export const COURSE_42 = {
  course: '42',
  backlog,
  recent: [],
  conflicts: [
    {
      id: 'c-1',
      key: 'course:42/page:9',
      entity: 'content_edit',
      eventIds: [],
      fields: ['body', 'title'],
      createdAt: '2026-11-26T09:00:00.000Z',
    },
  ],
  deadLetters: [
    {
      eventId: DEAD_EVENT,
      key: 'course:42/user:7/assignment:9',
      entity: 'grade',
      target: 'canvas',
      lastError: 'Canvas answered 500',
      attempts: 8,
      updatedAt: '2026-11-26T09:30:00.000Z',
    },
  ],
  links: {
    course: LINK_42,
    me: null,
    waiting: [{ reason: CANVAS_USER_NOT_LINKED, count: 2 }],
  },
};

export const SUMMARY = {
  at: '2026-11-26T10:00:00.000Z',
  tiers: Object.fromEntries(Object.entries(backlog).map(([t, b]) => [t, { ...b, states: {} }])),
  targets: {
    canvas: { pending: 3, failing: 1, deadLetters: 2, breaker: 'closed' },
    discourse: { pending: 0, failing: 0, deadLetters: 0, breaker: 'closed' },
  },
  conflicts: { open: 2 },
  parked: 0,
};

const emptyCourse = (course: string, links: unknown) => ({
  course,
  backlog,
  recent: [],
  conflicts: [],
  deadLetters: [],
  links,
});

export const COURSES: Record<string, unknown> = {
  '42': COURSE_42,
  '43': emptyCourse('43', { course: LINK_43, me: null, waiting: [] }),
  '44': emptyCourse('44', {
    course: null,
    me: null,
    waiting: [{ reason: COURSE_NOT_LINKED, count: 3 }],
  }),
};

const userLink = (id: number, method: string) => ({
  canvas_user_id: String(5000 + id),
  discourse_user_id: id,
  discourse_username: `user${id}`,
  method,
  made_by: method === 'admin' ? 'cli:root@relay' : 'relay',
  created_at: '2026-11-22T10:00:00.000Z',
});

export const LINKS = {
  courses: [LINK_42, LINK_43],
  users: [userLink(1, 'external_id'), userLink(2, 'external_id'), userLink(3, 'self_service')],
  waiting: [
    { reason: CATEGORY_NOT_LINKED, need: 'category:77', count: 1 },
    { reason: COURSE_NOT_LINKED, need: 'course:44', count: 3 },
    { reason: CANVAS_USER_NOT_LINKED, need: 'user:55', count: 2 },
  ],
};

// GET /v1/status/open-items (relay/src/status/router.ts: openConflicts, openDeadLetters of every
// key, newest first): course 42's items, a conflict of course 43 (named by its link only, not by a
// forum category) and a forum post's dead letter (a key of no course).
export const CONFLICT_43 = {
  id: 'c-2',
  key: 'course:43/page:3',
  entity: 'content_edit',
  eventIds: ['01900000-0000-7000-8000-000000000c02'],
  fields: ['title'],
  createdAt: '2026-11-26T09:45:00.000Z',
};

export const POST_DEAD_LETTER = {
  eventId: DEAD_POST_EVENT,
  key: 'topic:3/post:5',
  entity: 'forum_post',
  target: 'canvas',
  lastError: 'Canvas answered 500 five times',
  attempts: 5,
  updatedAt: '2026-11-26T09:50:00.000Z',
};

export const OPEN_ITEMS = {
  conflicts: [CONFLICT_43, ...COURSE_42.conflicts],
  deadLetters: [POST_DEAD_LETTER, ...COURSE_42.deadLetters],
};

// GET /v1/status/categories/:category/link (relay/src/links/router.ts): the relay's 404 messages
// to an admin (the category has no course link) and to a moderator (none they moderate).
export const CATEGORY_LINKS: Record<string, unknown> = {
  '12': { link: LINK_42 },
  '13': { link: LINK_43 },
};
export const NOT_LINKED_MESSAGE = (category: string) =>
  `Discourse category ${category} is not linked to a Canvas course`;
