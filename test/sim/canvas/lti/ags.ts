// LTI Advantage Assignment and Grade Services as Canvas serves them: line items, scores, results.
// https://www.imsglobal.org/spec/lti-ags/v2p0
// Canvas: https://canvas.instructure.com/doc/api/line_items.html ,
// https://canvas.instructure.com/doc/api/score.html , https://canvas.instructure.com/doc/api/result.html
// (app/controllers/lti/ims/{line_items,scores,results}_controller.rb)
import express, { type Request, type Response } from 'express';
import { globalId, type Assignment } from '../state.js';
import { SCOPES } from './claims.js';
import type { PlatformContext } from './context.js';
import { gradeFromTool } from './grading.js';
import { paginate, serviceError } from './http.js';
import { allOf, anyOf, CALLER, requireScopes, type ServiceCaller } from './token.js';
import type { LineItem, LineItemResult } from './store.js';

export const LINE_ITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';
export const LINE_ITEM_CONTAINER_TYPE = 'application/vnd.ims.lis.v2.lineitemcontainer+json';
export const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
export const RESULT_CONTAINER_TYPE = 'application/vnd.ims.lis.v2.resultcontainer+json';

const ACTIVITY = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'];
const GRADING = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'];

function send(res: Response, status: number, type: string, body: unknown): void {
  res.status(status).type(type).send(JSON.stringify(body));
}

function caller(res: Response): ServiceCaller {
  return res.locals[CALLER] as ServiceCaller;
}

export function agsRouter(ctx: PlatformContext): express.Router {
  const { state, store, issuer } = ctx;
  const router = express.Router();
  const json = express.json({ type: ['application/json', 'application/*+json'] });
  const base = '/api/lti/courses/:course_id/line_items';
  const lineItemUrl = (item: LineItem): string =>
    `${issuer}/api/lti/courses/${item.courseId}/line_items/${item.id}`;
  const render = (item: LineItem): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries({
        id: lineItemUrl(item),
        scoreMaximum: item.scoreMaximum,
        label: item.label,
        resourceId: item.resourceId,
        tag: item.tag,
        resourceLinkId: item.resourceLinkId,
        startDateTime: item.startDateTime,
        endDateTime: item.endDateTime,
      }).filter(([, v]) => v !== undefined),
    );
  const renderResult = (item: LineItem, result: LineItemResult): Record<string, unknown> => {
    const user = state.users.get(result.userId);
    return Object.fromEntries(
      Object.entries({
        id: `${lineItemUrl(item)}/results/${result.id}`,
        scoreOf: lineItemUrl(item),
        userId: user?.lti_id ?? String(result.userId),
        resultScore: result.resultScore,
        resultMaximum: result.resultMaximum,
        comment: result.comment,
      }).filter(([, v]) => v !== undefined && v !== null),
    );
  };

  /** The course, and the caller's tool deployed in it (Canvas's AdvantageServices checks). */
  const courseOf = (req: Request, res: Response): number | undefined => {
    const course = state.courses.get(Number(req.params.course_id));
    if (!course || course.workflow_state === 'completed' || course.workflow_state === 'deleted') {
      serviceError(res, 404, 'Context not found');
      return undefined;
    }
    if (!store.deploymentFor(caller(res).registration.clientId, course.id)) {
      serviceError(res, 401, 'Access Token not linked to a Tool associated with this Context');
      return undefined;
    }
    return course.id;
  };
  const lineItemOf = (req: Request, res: Response): LineItem | undefined => {
    const courseId = courseOf(req, res);
    if (courseId === undefined) return undefined;
    const item = store.lineItems.get(Number(req.params.line_item_id));
    if (!item || item.courseId !== courseId) {
      serviceError(res, 404, 'The specified resource does not exist.');
      return undefined;
    }
    if (item.clientId !== caller(res).registration.clientId) {
      serviceError(res, 412, 'Tool does not have permission to view line_item');
      return undefined;
    }
    return item;
  };
  /** The user a score or result filter names: by lti_id or Canvas id, as Canvas accepts. */
  const userOf = (id: unknown) =>
    typeof id === 'string' || typeof id === 'number'
      ? [...state.users.values()].find(
          (u) => u.lti_id === String(id) || String(u.id) === String(id),
        )
      : undefined;

  const read = requireScopes(ctx, anyOf(SCOPES.lineItem, SCOPES.lineItemReadOnly));
  const write = requireScopes(ctx, allOf(SCOPES.lineItem));

  router.get(base, read, (req, res) => {
    const courseId = courseOf(req, res);
    if (courseId === undefined) return;
    const clientId = caller(res).registration.clientId;
    const q = req.query;
    const items = [...store.lineItems.values()]
      .filter((i) => i.courseId === courseId && i.clientId === clientId)
      .filter((i) => q.tag === undefined || i.tag === q.tag)
      .filter((i) => q.resource_id === undefined || i.resourceId === q.resource_id)
      .filter((i) => q.resource_link_id === undefined || i.resourceLinkId === q.resource_link_id)
      .sort((a, b) => a.id - b.id);
    send(res, 200, LINE_ITEM_CONTAINER_TYPE, paginate(issuer, req, res, items).map(render));
  });

  router.post(base, write, json, (req, res) => {
    const courseId = courseOf(req, res);
    if (courseId === undefined) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const scoreMaximum = Number(body.scoreMaximum);
    if (body.scoreMaximum === undefined || !Number.isFinite(scoreMaximum) || scoreMaximum < 0) {
      return serviceError(res, 400, 'param is missing or the value is empty: scoreMaximum');
    }
    if (typeof body.label !== 'string' || body.label === '') {
      return serviceError(res, 400, 'param is missing or the value is empty: label');
    }
    if (body.resourceLinkId !== undefined) {
      // Canvas links line items to a resource link of one of its assignments; course navigation
      // launches create none, so none is known here.
      return serviceError(res, 404, 'The specified resource does not exist.');
    }
    const now = state.time();
    const { registration } = caller(res);
    // Without a resource link Canvas creates a placeholder assignment named after the label.
    const assignment: Assignment = {
      id: state.id(),
      course_id: courseId,
      name: body.label,
      points_possible: scoreMaximum,
      grading_type: 'points',
      quiz_id: null,
      created_at: now,
      updated_at: now,
    };
    state.assignments.set(assignment.id, assignment);
    state.announce({
      eventName: 'assignment_created',
      courseId,
      body: {
        assignment_id: globalId(assignment.id),
        context_id: globalId(courseId),
        context_type: 'Course',
        workflow_state: 'published',
        title: assignment.name,
        points_possible: assignment.points_possible,
        submission_types: 'external_tool',
        created_at: now,
        updated_at: now,
      },
    });
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const item: LineItem = {
      id: state.id(),
      courseId,
      clientId: registration.clientId,
      assignmentId: assignment.id,
      label: body.label,
      scoreMaximum,
      resourceId: body.resourceId === undefined ? undefined : String(body.resourceId),
      tag: str(body.tag),
      startDateTime: str(body.startDateTime),
      endDateTime: str(body.endDateTime),
      createdAt: now,
    };
    store.lineItems.set(item.id, item);
    send(res, 201, LINE_ITEM_TYPE, render(item));
  });

  router.get(`${base}/:line_item_id`, read, (req, res) => {
    const item = lineItemOf(req, res);
    if (item) send(res, 200, LINE_ITEM_TYPE, render(item));
  });

  router.put(`${base}/:line_item_id`, write, json, (req, res) => {
    const item = lineItemOf(req, res);
    if (!item) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.scoreMaximum !== undefined) {
      const max = Number(body.scoreMaximum);
      if (!Number.isFinite(max) || max < 0)
        return serviceError(res, 400, 'scoreMaximum must be a number');
      item.scoreMaximum = max;
    }
    if (typeof body.label === 'string' && body.label !== '') item.label = body.label;
    if (body.resourceId !== undefined) item.resourceId = String(body.resourceId);
    if (typeof body.tag === 'string') item.tag = body.tag;
    const assignment = state.assignments.get(item.assignmentId);
    if (assignment) {
      assignment.name = item.label;
      assignment.points_possible = item.scoreMaximum;
      assignment.updated_at = state.time();
    }
    send(res, 200, LINE_ITEM_TYPE, render(item));
  });

  router.delete(`${base}/:line_item_id`, write, (req, res) => {
    const item = lineItemOf(req, res);
    if (!item) return;
    store.lineItems.delete(item.id);
    for (const [id, r] of store.results) if (r.lineItemId === item.id) store.results.delete(id);
    res.status(204).end();
  });

  // Scores: https://www.imsglobal.org/spec/lti-ags/v2p0/#score-publish-service
  router.post(
    `${base}/:line_item_id/scores`,
    requireScopes(ctx, allOf(SCOPES.score)),
    json,
    (req, res) => {
      const item = lineItemOf(req, res);
      if (!item) return;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const user = userOf(body.userId);
      const enrolled =
        user !== undefined &&
        state
          .list(state.enrollments, (e) => e.course_id === item.courseId && e.user_id === user.id)
          .some((e) => e.type === 'StudentEnrollment' && e.enrollment_state !== 'deleted');
      if (!user || !enrolled) {
        return serviceError(res, 422, 'User not found in course or is not a student');
      }
      for (const name of ['userId', 'activityProgress', 'gradingProgress', 'timestamp']) {
        if (body[name] === undefined || body[name] === '') {
          return serviceError(res, 400, `param is missing or the value is empty: ${name}`);
        }
      }
      const stamp = typeof body.timestamp === 'string' ? Date.parse(body.timestamp) : NaN;
      if (Number.isNaN(stamp)) {
        return serviceError(
          res,
          400,
          `Provided timestamp of ${String(body.timestamp)} not a valid timestamp`,
        );
      }
      const previous = [...store.results.values()].find(
        (r) => r.lineItemId === item.id && r.userId === user.id,
      );
      if (previous && Date.parse(previous.updatedAt) > stamp) {
        return serviceError(
          res,
          400,
          `Provided timestamp of ${String(body.timestamp)} before last updated timestamp of ${previous.updatedAt}`,
        );
      }
      const activity = String(body.activityProgress);
      const grading = String(body.gradingProgress);
      if (!ACTIVITY.includes(activity) || !GRADING.includes(grading)) {
        return serviceError(
          res,
          422,
          'activityProgress or gradingProgress is not a permitted value',
        );
      }
      // Canvas ignores scoreGiven unless the grading is FullyGraded or PendingManual.
      const ignoreScore =
        body.scoreGiven === undefined || !['FullyGraded', 'PendingManual'].includes(grading);
      let scoreGiven: number | null = null;
      let scoreMaximum: number | null = null;
      if (!ignoreScore) {
        if (body.scoreMaximum === undefined) {
          return serviceError(res, 422, 'ScoreMaximum not supplied when ScoreGiven present.');
        }
        scoreGiven = Number(body.scoreGiven);
        scoreMaximum = Number(body.scoreMaximum);
        if (!Number.isFinite(scoreMaximum) || scoreMaximum < 0) {
          return serviceError(res, 422, 'ScoreMaximum must be greater than or equal to 0');
        }
        if (!Number.isFinite(scoreGiven))
          return serviceError(res, 422, 'ScoreGiven must be a number');
      }
      const assignment = state.assignments.get(item.assignmentId);
      if (assignment) {
        // Scaled to the line item's maximum, as Canvas's submission_score does.
        const score =
          scoreGiven === null || scoreMaximum === null
            ? null
            : scoreMaximum === 0
              ? scoreGiven
              : (scoreGiven * item.scoreMaximum) / scoreMaximum;
        gradeFromTool(state, assignment, user.id, score, caller(res).registration.toolId);
      }
      const timestamp = new Date(stamp).toISOString();
      const result: LineItemResult = previous ?? {
        id: state.id(),
        lineItemId: item.id,
        userId: user.id,
        resultScore: null,
        resultMaximum: null,
        activityProgress: activity,
        gradingProgress: grading,
        updatedAt: timestamp,
        createdAt: timestamp,
      };
      Object.assign(result, {
        resultScore: scoreGiven,
        resultMaximum: scoreMaximum,
        comment: typeof body.comment === 'string' ? body.comment : undefined,
        activityProgress: activity,
        gradingProgress: grading,
        updatedAt: timestamp,
      });
      store.results.set(result.id, result);
      send(res, 200, SCORE_TYPE, { resultUrl: `${lineItemUrl(item)}/results/${result.id}` });
    },
  );

  // Results: https://www.imsglobal.org/spec/lti-ags/v2p0/#result-service
  const readResults = requireScopes(ctx, allOf(SCOPES.resultReadOnly));
  router.get(`${base}/:line_item_id/results`, readResults, (req, res) => {
    const item = lineItemOf(req, res);
    if (!item) return;
    let results = [...store.results.values()].filter((r) => r.lineItemId === item.id);
    if (req.query.user_id !== undefined) {
      const user = userOf(req.query.user_id);
      results = results.filter((r) => r.userId === user?.id);
    }
    results.sort((a, b) => a.id - b.id);
    const page = paginate(issuer, req, res, results);
    send(
      res,
      200,
      RESULT_CONTAINER_TYPE,
      page.map((r) => renderResult(item, r)),
    );
  });
  router.get(`${base}/:line_item_id/results/:result_id`, readResults, (req, res) => {
    const item = lineItemOf(req, res);
    if (!item) return;
    const result = store.results.get(Number(req.params.result_id));
    if (!result || result.lineItemId !== item.id) {
      return serviceError(res, 404, 'The specified resource does not exist.');
    }
    send(res, 200, RESULT_CONTAINER_TYPE, renderResult(item, result));
  });
  return router;
}
