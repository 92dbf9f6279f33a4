// LTI Advantage on Canvas for the writer: line items found by resourceId or created, scores
// published, and Canvas user ids turned into LTI user ids through the course roster (NRPS).
// AGS: https://www.imsglobal.org/spec/lti-ags/v2p0 ; Canvas: https://canvas.instructure.com/doc/api/line_items.html ,
// https://canvas.instructure.com/doc/api/score.html ("userId: the lti_user_id or the Canvas user_id")
// NRPS: https://www.imsglobal.org/spec/lti-nrps/v2p0 ; Canvas: https://canvas.instructure.com/doc/api/names_and_role.html
import { localCanvasId } from '@cds/shared';
import type { CanvasClient } from './canvas-client.js';

export const AGS_SCOPES = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

const LINE_ITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';
const LINE_ITEM_CONTAINER_TYPE = 'application/vnd.ims.lis.v2.lineitemcontainer+json';
const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const MEMBERSHIP_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
const CUSTOM_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/custom';

export interface LineItemSpec {
  resourceId: string;
  tag: string;
  label: string;
  scoreMaximum: number;
}

export interface ScoreSpec {
  userId: string;
  scoreGiven: number | null;
  scoreMaximum: number;
  timestamp: string;
  comment?: string;
}

/** The first page's `rel="next"` link of a Link header (RFC 8288), if any. */
function nextLink(header: string | null): string | undefined {
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (match && match[2]!.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

interface Member {
  user_id?: unknown;
  status?: unknown;
  roles?: unknown;
  message?: unknown;
}

/** The Canvas user id a member carries, when the roster has the tool's `$Canvas.user.id` custom field. */
function canvasIdOf(member: Member): string | undefined {
  const messages = Array.isArray(member.message) ? member.message : [];
  for (const message of messages) {
    const custom = (message as Record<string, unknown> | null)?.[CUSTOM_CLAIM] as
      Record<string, unknown> | undefined;
    const id = custom?.canvas_user_id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}

export class CanvasAgs {
  private readonly lineItems = new Map<string, string>();
  private readonly rosters = new Map<string, { at: number; byCanvasId: Map<string, string> }>();

  constructor(
    private readonly client: CanvasClient,
    /** The institution's Canvas, e.g. https://school.instructure.com. */
    private readonly canvasUrl: string,
    private readonly rosterTtlMs = 600_000,
  ) {}

  private coursePath(courseId: string): string {
    return `${this.canvasUrl}/api/lti/courses/${localCanvasId(courseId)}`;
  }

  /** The line item with this resourceId in the course, created when missing; its URL. */
  async lineItem(courseId: string, spec: LineItemSpec): Promise<string> {
    const cacheKey = `${localCanvasId(courseId)} ${spec.resourceId}`;
    const cached = this.lineItems.get(cacheKey);
    if (cached) return cached;
    const list = new URL(`${this.coursePath(courseId)}/line_items`);
    list.searchParams.set('resource_id', spec.resourceId);
    const found = await this.client.send({
      method: 'GET',
      url: list.toString(),
      scopes: [AGS_SCOPES.lineItem],
      accept: LINE_ITEM_CONTAINER_TYPE,
    });
    const items = Array.isArray(found.body) ? (found.body as Array<{ id?: unknown }>) : [];
    let url = items.find((i) => typeof i.id === 'string')?.id as string | undefined;
    if (!url) {
      const created = await this.client.send({
        method: 'POST',
        url: `${this.coursePath(courseId)}/line_items`,
        scopes: [AGS_SCOPES.lineItem],
        body: spec,
        contentType: LINE_ITEM_TYPE,
        accept: LINE_ITEM_TYPE,
      });
      url = (created.body as { id?: unknown } | null)?.id as string | undefined;
      if (typeof url !== 'string') throw new Error('Canvas created a line item without an id');
    }
    this.lineItems.set(cacheKey, url);
    return url;
  }

  /** Publishes a score (AGS Score Publish Service); a null score clears the grade. */
  async publishScore(lineItemUrl: string, score: ScoreSpec): Promise<void> {
    const url = new URL(lineItemUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/scores`;
    const graded = score.scoreGiven !== null;
    await this.client.send({
      method: 'POST',
      url: url.toString(),
      scopes: [AGS_SCOPES.score],
      contentType: SCORE_TYPE,
      body: {
        userId: score.userId,
        ...(graded ? { scoreGiven: score.scoreGiven, scoreMaximum: score.scoreMaximum } : {}),
        activityProgress: 'Completed',
        // Canvas clears the submission's score for a score that is not graded.
        gradingProgress: graded ? 'FullyGraded' : 'NotReady',
        timestamp: score.timestamp,
        ...(score.comment ? { comment: score.comment } : {}),
      },
    });
  }

  /**
   * The LTI user id of a Canvas user in a course. Canvas's roster (NRPS) names members by LTI id;
   * when it carries the tool's `canvas_user_id` custom field the Canvas id is mapped through it,
   * otherwise the Canvas id is used as it is, which Canvas's Score API accepts as well.
   */
  async ltiUserId(courseId: string, canvasUserId: string): Promise<string> {
    const roster = await this.roster(courseId);
    const local = localCanvasId(canvasUserId);
    return roster.get(local) ?? roster.get(canvasUserId) ?? local;
  }

  private async roster(courseId: string): Promise<Map<string, string>> {
    const key = localCanvasId(courseId);
    const cached = this.rosters.get(key);
    if (cached && Date.now() - cached.at < this.rosterTtlMs) return cached.byCanvasId;
    const byCanvasId = new Map<string, string>();
    let next: string | undefined = `${this.coursePath(courseId)}/names_and_roles?limit=100`;
    for (let page = 0; next && page < 100; page += 1) {
      const answer = await this.client.send({
        method: 'GET',
        url: next,
        scopes: [AGS_SCOPES.nrps],
        accept: MEMBERSHIP_TYPE,
      });
      const members = (answer.body as { members?: unknown } | null)?.members;
      for (const member of Array.isArray(members) ? (members as Member[]) : []) {
        const canvasId = canvasIdOf(member);
        if (canvasId && typeof member.user_id === 'string')
          byCanvasId.set(localCanvasId(canvasId), member.user_id);
      }
      next = nextLink(answer.headers.get('link'));
    }
    this.rosters.set(key, { at: Date.now(), byCanvasId });
    return byCanvasId;
  }
}
