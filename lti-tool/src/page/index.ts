// The course page instructors and students open from Canvas course navigation.
export {
  createCoursePage,
  PAGE_ROUTES,
  type CoursePage,
  type CoursePageOptions,
} from './router.js';
export {
  pageIdentity,
  pageRole,
  canvasIds,
  launchFacts,
  type PageIdentity,
  type PageRole,
} from './identity.js';
export {
  RelayClient,
  RelayProblem,
  syncNowEvent,
  type CourseStatus,
  type LaunchFacts,
  type LinksView,
} from './relay-client.js';
export { launchRefusal, ltijsRefusal } from './messages.js';
