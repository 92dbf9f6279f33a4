import type { z } from 'zod';
import type { EntityType } from '../entity.js';
import {
  assignmentSubmissionExample,
  assignmentSubmissionKey,
  assignmentSubmissionV1,
} from './assignment-submission.js';
import { badgeExample, badgeKey, badgeV1 } from './badge.js';
import { certificateExample, certificateKey, certificateV1 } from './certificate.js';
import { contentEditExample, contentEditKey, contentEditV1 } from './content-edit.js';
import {
  courseCompletionExample,
  courseCompletionKey,
  courseCompletionV1,
} from './course-completion.js';
import { enrollmentExample, enrollmentKey, enrollmentV1 } from './enrollment.js';
import { examResultExample, examResultKey, examResultV1 } from './exam-result.js';
import { forumPostExample, forumPostKey, forumPostV1 } from './forum-post.js';
import { gradeExample, gradeKey, gradeV1 } from './grade.js';
import { profileExample, profileKey, profileV1 } from './profile.js';
import { syncRequestExample, syncRequestKey, syncRequestV1 } from './sync-request.js';

export * from './assignment-submission.js';
export * from './badge.js';
export * from './certificate.js';
export * from './content-edit.js';
export * from './course-completion.js';
export * from './enrollment.js';
export * from './exam-result.js';
export * from './forum-post.js';
export * from './grade.js';
export * from './profile.js';
export * from './sync-request.js';

/** The v1 payload schema of every entity (DESIGN.md section 3). */
export const PAYLOAD_SCHEMAS_V1 = {
  grade: gradeV1,
  exam_result: examResultV1,
  certificate: certificateV1,
  course_completion: courseCompletionV1,
  badge: badgeV1,
  assignment_submission: assignmentSubmissionV1,
  enrollment: enrollmentV1,
  forum_post: forumPostV1,
  profile: profileV1,
  content_edit: contentEditV1,
  sync_request: syncRequestV1,
} as const satisfies Record<EntityType, z.ZodType>;

export type PayloadV1<E extends EntityType> = z.infer<(typeof PAYLOAD_SCHEMAS_V1)[E]>;

/**
 * The entity key a v1 payload belongs to. Keys are unique across entities (each shape has its own
 * last segment or first segment), because the relay stores one state per key.
 */
export const KEY_OF_V1: { [E in EntityType]: (payload: PayloadV1<E>) => string } = {
  grade: gradeKey,
  exam_result: examResultKey,
  certificate: certificateKey,
  course_completion: courseCompletionKey,
  badge: badgeKey,
  assignment_submission: assignmentSubmissionKey,
  enrollment: enrollmentKey,
  forum_post: forumPostKey,
  profile: profileKey,
  content_edit: contentEditKey,
  sync_request: syncRequestKey,
};

/** A realistic v1 payload per entity; a different `seq` gives a different key. */
export const EXAMPLE_V1: { [E in EntityType]: (seq: number) => PayloadV1<E> } = {
  grade: gradeExample,
  exam_result: examResultExample,
  certificate: certificateExample,
  course_completion: courseCompletionExample,
  badge: badgeExample,
  assignment_submission: assignmentSubmissionExample,
  enrollment: enrollmentExample,
  forum_post: forumPostExample,
  profile: profileExample,
  content_edit: contentEditExample,
  sync_request: syncRequestExample,
};
