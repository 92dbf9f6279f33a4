// @cds/lti-tool: import the pieces without starting anything (CONVENTIONS.md #3).
export * from './settings.js';
export * from './tool.js';
export * from './platforms.js';
export * from './tool-description.js';
export { canvasToolConfiguration, type CanvasToolConfiguration } from './routes/config-json.js';
export { registrationRequest, type RegistrationRequest } from './registration/request.js';
export { registerDynamically, type RegistrationOutcome } from './registration/dynamic.js';
export { ltiSqlitePath, describeLtiDatabase } from './db/database.js';
export * from './page/index.js';
export { loadProducerSigner } from './page/producer-key.js';
export {
  startLtiTool,
  type RunningLtiTool,
  type StartLtiToolOptions,
  type ToolLog,
} from './app/compose.js';
export { startEmbedded, type Embedded, type EmbeddedOptions } from './app/embedded.js';
export { ensureLtiKey, ensureToolKey, TOOL_PRODUCER, TOOL_SOURCES } from './app/first-run.js';
