// What an AGS score does to Canvas's gradebook: the line item's assignment gets the student's
// submission graded (Canvas's grade_student with grader_id = -tool id), and Canvas emits
// grade_change when the score changed.
// https://canvas.instructure.com/doc/api/score.html ("Create a Score")
// Live Event shape: https://canvas.instructure.com/doc/api/file.data_service_canvas_grade.html
import { submissionFor } from '../mutations.js';
import { globalId, type Assignment, type CanvasState, type Submission } from '../state.js';

/** Sets (or clears, with null) a student's score on an assignment as an LTI tool. */
export function gradeFromTool(
  state: CanvasState,
  assignment: Assignment,
  userId: number,
  score: number | null,
  toolId: number,
): Submission {
  // The AGS route found the assignment and the student: this only creates a missing submission.
  const submission = submissionFor(state, assignment.id, userId);
  const old = { score: submission.score, grade: submission.grade };
  const now = state.time();
  submission.score = score;
  submission.grade = score === null ? null : String(score);
  submission.grader_id = score === null ? submission.grader_id : -toolId;
  submission.workflow_state = score === null ? submission.workflow_state : 'graded';
  submission.graded_at = score === null ? submission.graded_at : now;
  submission.updated_at = now;
  if (old.score !== score) {
    const user = state.users.get(userId);
    state.announce({
      eventName: 'grade_change',
      courseId: assignment.course_id,
      body: {
        submission_id: globalId(submission.id),
        assignment_id: globalId(assignment.id),
        grade: submission.grade,
        old_grade: old.grade,
        score,
        old_score: old.score,
        points_possible: assignment.points_possible,
        old_points_possible: assignment.points_possible,
        // Canvas sends no grader for automatic grades (a tool's grader id is negative).
        grader_id: null,
        student_id: globalId(userId),
        student_sis_id: user?.sis_user_id ?? null,
        user_id: globalId(userId),
        grading_complete: score !== null,
        muted: false,
      },
    });
  }
  return submission;
}
