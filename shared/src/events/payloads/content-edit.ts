import { z } from 'zod';
import { canvasId, discourseId, exampleTime, timestamp } from './common.js';

/**
 * An edit of course content mirrored between a Canvas page or announcement and a Discourse topic.
 * Canvas fields follow the `wiki_page_updated` and `discussion_topic_updated` Live Events
 * (https://canvas.instructure.com/doc/api/file.data_service_canvas_wiki.html: `page_id`, `title`,
 * `body`) and the Pages API; the Discourse side is the topic's first post (`PUT /posts/{id}.json`
 * with `raw`). Never overwritten silently: concurrent edits go to the conflict queue.
 */
export const contentEditV1 = z.object({
  /** The side the content was first written on. */
  origin: z.enum(['canvas', 'discourse']),
  course_id: canvasId,
  content_type: z.enum(['page', 'announcement']),
  /** The Canvas `page_id` or announcement `discussion_topic_id`. */
  content_id: canvasId,
  discourse_topic_id: discourseId.optional(),
  title: z.string().min(1).max(255),
  /** Sanitized HTML, as Canvas stores it and Discourse renders it (`cooked`). */
  body_html: z.string().max(500_000),
  updated_at: timestamp,
  /** Who edited: a Canvas user id or a Discourse username, by `origin`. */
  edited_by: z.string().min(1).max(255),
});
export type ContentEditV1 = z.infer<typeof contentEditV1>;

export const contentEditKey = (p: ContentEditV1): string =>
  `course:${p.course_id}/${p.content_type}:${p.content_id}`;

/** Odd `seq`: a Canvas page edit; even: an edit of an announcement's mirrored Discourse topic. */
export function contentEditExample(seq: number): ContentEditV1 {
  const fromDiscourse = seq % 2 === 0;
  return {
    origin: fromDiscourse ? 'discourse' : 'canvas',
    course_id: '565',
    content_type: fromDiscourse ? 'announcement' : 'page',
    content_id: String(9000 + seq),
    discourse_topic_id: 900 + seq,
    title: fromDiscourse ? `Week ${seq} announcement` : `Week ${seq} reading`,
    body_html: `<p>Read chapter ${seq} before Thursday.</p>`,
    updated_at: exampleTime(seq),
    edited_by: fromDiscourse ? 'prof_lee' : '21070000000000987',
  };
}
