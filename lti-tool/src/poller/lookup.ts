// The CanvasLookup the Live Events mapping needs (shared/src/platforms/canvas/lookup.ts), over REST:
// the ids in a Live Event are global; paths take the local id of the caller's shard.
import type { CanvasLookup, CanvasQuizSubmission, CanvasWikiPage } from '@cds/shared';
import type { CanvasRest } from './canvas-rest.js';
import { localCanvasId as localId } from '@cds/shared';

export function restCanvasLookup(rest: CanvasRest): CanvasLookup {
  return {
    // https://canvas.instructure.com/doc/api/quiz_submissions.html#method.quizzes/quiz_submissions_api.show
    async quizSubmission({ courseId, quizId, quizSubmissionId }) {
      const answer = await rest.get<{ quiz_submissions?: CanvasQuizSubmission[] }>(
        `/api/v1/courses/${localId(courseId)}/quizzes/${localId(quizId)}/submissions/${localId(quizSubmissionId)}`,
      );
      return answer?.quiz_submissions?.[0];
    },
    // https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.show
    async wikiPage({ courseId, pageId }) {
      return rest.get<CanvasWikiPage>(
        `/api/v1/courses/${localId(courseId)}/pages/page_id:${localId(pageId)}`,
      );
    },
  };
}
