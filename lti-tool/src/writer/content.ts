// content_edit to Canvas (DESIGN.md section 3: Canvas pages and announcements <-> mirrored
// Discourse topics). The delivery carries the version the relay decided on (concurrent edits went
// to the conflict queue and never reach the writer), so it is written as it is: a page through the
// Pages API, an announcement (a discussion topic with is_announcement) through the Discussion
// Topics API. A page Canvas does not have is created, and later edits of the same key go to that
// page; an announcement Canvas does not have is refused. Content already equal is not written
// again, so Canvas emits no Live Event that would come back as an edit.
// https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.show ,
// https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.update ,
// https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.create ,
// https://canvas.instructure.com/doc/api/discussion_topics.html#method.discussion_topics_api.show ,
// https://canvas.instructure.com/doc/api/discussion_topics.html#method.discussion_topics.update
import type { ContentEditV1 } from '@cds/shared';
import { localCanvasId as localId } from '@cds/shared';
import type { Applier, ApplyContext } from './appliers.js';
import { CanvasRefused } from './canvas-client.js';
import { parsedValue, rejected, settle } from './outcomes.js';
import type { CanvasRestWrites } from './rest.js';

/** `course:<course>/<content_type>:<content_id>` (contentEditKey). */
const CONTENT_KEY = /^course:(\d+)\/(page|announcement):(\d+)$/;

/** The Page fields the writer reads (https://canvas.instructure.com/doc/api/pages.html#Page). */
interface RestPage {
  page_id: number;
  url: string;
  title: string;
  body?: string | null;
}

/** https://canvas.instructure.com/doc/api/discussion_topics.html#DiscussionTopic */
interface RestTopic {
  id: number;
  title: string | null;
  message: string | null;
}

async function writePage(
  rest: CanvasRestWrites,
  ctx: ApplyContext,
  course: string,
  contentId: string,
  edit: ContentEditV1,
): Promise<string | void> {
  // `page_id:N` names the page by id, never by a url that happens to be N (Pages API note).
  const pageId = (await ctx.store.contentTarget(course, 'page', contentId)) ?? contentId;
  const path = `/api/v1/courses/${course}/pages/page_id:${pageId}`;
  const form = { 'wiki_page[title]': edit.title, 'wiki_page[body]': edit.body_html };
  const current = await rest.get<RestPage>(path);
  if (current) {
    if (current.title === edit.title && (current.body ?? '') === edit.body_html)
      return `Canvas's page ${pageId} already has this title and body: nothing written`;
    const updated = await rest.send<RestPage>('PUT', path, form);
    if (!updated)
      throw new CanvasRefused(`Canvas has no page ${pageId} in course ${course} (404)`, 404);
    return;
  }
  // Not a PUT to the missing id: Canvas would make a page whose url is "page_id-N".
  const created = await rest.send<RestPage>('POST', `/api/v1/courses/${course}/pages`, form);
  if (!created) throw new CanvasRefused(`Canvas has no course ${course} (404)`, 404);
  await ctx.store.noteContentTarget(course, 'page', contentId, String(created.page_id));
  return `Canvas had no page ${pageId} in course ${course}: created page ${created.page_id} ("${created.url}")`;
}

async function writeAnnouncement(
  rest: CanvasRestWrites,
  course: string,
  topicId: string,
  edit: ContentEditV1,
): Promise<string | void> {
  const path = `/api/v1/courses/${course}/discussion_topics/${topicId}`;
  const current = await rest.get<RestTopic>(path);
  if (!current)
    throw new CanvasRefused(
      `Canvas has no announcement ${topicId} in course ${course} (404); the tool creates pages only`,
      404,
    );
  if (current.title === edit.title && (current.message ?? '') === edit.body_html)
    return `Canvas's announcement ${topicId} already has this title and message: nothing written`;
  const updated = await rest.send<RestTopic>('PUT', path, {
    title: edit.title,
    message: edit.body_html,
  });
  if (!updated)
    throw new CanvasRefused(`Canvas has no announcement ${topicId} in course ${course} (404)`, 404);
}

/** Page and announcement edits, each written alone, in order. */
export function contentEdits(rest: CanvasRestWrites): Applier {
  return async (items, ctx) => {
    for (const item of items) {
      ctx.pace();
      const key = CONTENT_KEY.exec(item.key);
      if (!key) {
        await ctx.record(
          item.eventId,
          rejected(`content_edit key "${item.key}" names no course page or announcement`),
        );
        continue;
      }
      const [, keyCourse, type, keyId] = key as unknown as [string, string, string, string];
      const course = localId(keyCourse);
      const contentId = localId(keyId);
      if (item.op === 'delete') {
        await ctx.record(
          item.eventId,
          rejected(
            `the tool does not delete Canvas ${type}s: ${type} ${contentId} of course ${course} stays (remove it in Canvas if it should go)`,
          ),
        );
        continue;
      }
      const edit = await parsedValue(ctx, item, 'content_edit');
      if (!edit) continue;
      if (
        localId(edit.course_id) !== course ||
        edit.content_type !== type ||
        localId(edit.content_id) !== contentId
      ) {
        await ctx.record(
          item.eventId,
          rejected(
            `content_edit value names ${edit.content_type} ${edit.content_id} of course ${edit.course_id}, not its key ${item.key}`,
          ),
        );
        continue;
      }
      await settle(ctx, item.eventId, () =>
        type === 'page'
          ? writePage(rest, ctx, course, contentId, edit)
          : writeAnnouncement(rest, course, contentId, edit),
      );
    }
  };
}
