// Names and Role Provisioning Services 2.0 for a course, as Canvas serves it.
// https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-container-media-type
// Canvas: https://canvas.instructure.com/doc/api/names_and_role.html
// (app/controllers/lti/ims/names_and_roles_controller.rb)
import express from 'express';
import { MEMBERSHIP_ROLES, SCOPES } from './claims.js';
import type { PlatformContext } from './context.js';
import { paginate, requestUrl, serviceError } from './http.js';
import { opaqueId } from './store.js';
import { allOf, CALLER, requireScopes, type ServiceCaller } from './token.js';

export const MEMBERSHIP_CONTAINER_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';

export function nrpsRouter(ctx: PlatformContext): express.Router {
  const { state, store, issuer } = ctx;
  const router = express.Router();
  router.get(
    '/api/lti/courses/:course_id/names_and_roles',
    requireScopes(ctx, allOf(SCOPES.nrps)),
    (req, res) => {
      const course = state.courses.get(Number(req.params.course_id));
      if (!course) return serviceError(res, 404, 'Context not found');
      const { registration } = res.locals[CALLER] as ServiceCaller;
      if (!store.deploymentFor(registration.clientId, course.id)) {
        return serviceError(
          res,
          401,
          'Access Token not linked to a Tool associated with this Context',
        );
      }
      // One member per user, with the roles of all its live enrollments.
      const byUser = new Map<number, { roles: Set<string>; active: boolean }>();
      for (const e of state.list(state.enrollments, (x) => x.course_id === course.id)) {
        if (e.enrollment_state === 'deleted' || e.enrollment_state === 'completed') continue;
        const member = byUser.get(e.user_id) ?? { roles: new Set<string>(), active: false };
        for (const role of MEMBERSHIP_ROLES[e.type]) member.roles.add(role);
        member.active ||= e.enrollment_state === 'active';
        byUser.set(e.user_id, member);
      }
      // The spec's `role` filter: a full role URI or its short name (e.g. Learner).
      const role = typeof req.query.role === 'string' ? req.query.role : undefined;
      const wanted = (roles: Set<string>): boolean =>
        role === undefined || [...roles].some((r) => r === role || r.endsWith(`#${role}`));
      const members = [...byUser.entries()]
        .filter(([, m]) => wanted(m.roles))
        .sort(([a], [b]) => a - b)
        .flatMap(([userId, m]) => {
          const user = state.users.get(userId);
          if (!user) return [];
          const [given, ...family] = user.name.split(' ');
          const show = registration.privacyLevel;
          return [
            Object.fromEntries(
              Object.entries({
                status: m.active ? 'Active' : 'Inactive',
                name: show === 'public' || show === 'name_only' ? user.name : undefined,
                given_name: show === 'public' || show === 'name_only' ? given : undefined,
                family_name:
                  show === 'public' || show === 'name_only' ? family.join(' ') : undefined,
                picture: show === 'public' ? user.avatar_url : undefined,
                email: show === 'public' || show === 'email_only' ? user.email : undefined,
                lis_person_sourcedid:
                  show === 'public' ? (user.sis_user_id ?? undefined) : undefined,
                user_id: user.lti_id,
                lti11_legacy_user_id: opaqueId('User', user.id),
                roles: [...m.roles],
              }).filter(([, v]) => v !== undefined),
            ),
          ];
        });
      const page = paginate(issuer, req, res, members);
      res
        .status(200)
        .type(MEMBERSHIP_CONTAINER_TYPE)
        .send(
          JSON.stringify({
            id: requestUrl(issuer, req).toString(),
            context: {
              id: opaqueId('Course', course.id),
              label: course.course_code,
              title: course.name,
            },
            members: page,
          }),
        );
    },
  );
  return router;
}
