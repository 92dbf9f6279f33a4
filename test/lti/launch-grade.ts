// The grade event the Chromium launch tests send through the relay to the tool's course page.
import { exampleEvent, type SyncEvent } from '@cds/shared';
import { globalId, type Course, type User } from '../sim/canvas/state.js';

/** A grade of `user` in `course`, keyed as a Live Event would key it. */
export function grade(course: Course, user: User, assignment: number, score: number): SyncEvent {
  const e = exampleEvent('grade', assignment);
  return {
    ...e,
    key: `course:${globalId(course.id)}/user:${globalId(user.id)}/assignment:${assignment}`,
    payload: {
      ...e.payload,
      course_id: globalId(course.id),
      user_id: globalId(user.id),
      assignment_id: String(assignment),
      score,
      grade: String(score),
    },
  };
}
