// What the relay's status API answers in the render test (shapes of relay/src/status/queries.ts
// and course.ts), and the plugin's token endpoint.
export const TOKEN = 'cds-test-token';
export const DEAD_EVENT = '01900000-0000-7000-8000-00000000dead';

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

export const ENTITIES: Record<string, unknown> = {
  'topic:3/post:5': {
    key: 'topic:3/post:5',
    syncState: null,
    events: [event('topic:3/post:5', 'dead', 'Canvas answered 500 five times')],
    conflicts: [],
  },
};

const backlog = {
  critical: { backlog: 0, lagMs: 0 },
  high: { backlog: 2, lagMs: 42_000 },
  background: { backlog: 7, lagMs: 300_000 },
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
};

export const SUMMARY = {
  at: '2026-11-26T10:00:00.000Z',
  tiers: Object.fromEntries(Object.entries(backlog).map(([t, b]) => [t, { ...b, states: {} }])),
  targets: {
    canvas: { pending: 3, failing: 1, deadLetters: 1, breaker: 'closed' },
    discourse: { pending: 0, failing: 0, deadLetters: 0, breaker: 'closed' },
  },
  conflicts: { open: 1 },
  parked: 0,
};
