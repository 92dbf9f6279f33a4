// Test fixture: a simulated Canvas with one course (a teacher, two students) serving the LTI
// platform router on a free port, and a minimal tool (an OIDC relying party built on jose) with
// its own key pair and JWKS endpoint.
import type { Server } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { freePort } from '../../../support/ports.js';
import { CanvasState, type Course, type EnrollmentType, type User } from '../state.js';
import { createLtiPlatform, type LtiPlatform } from './index.js';

export interface Sim {
  state: CanvasState;
  platform: LtiPlatform;
  issuer: string;
  course: Course;
  teacher: User;
  students: User[];
  tool: TestTool;
  close(): Promise<void>;
}

export interface TestTool {
  origin: string;
  jwksUrl: string;
  loginUrl: string;
  launchUrl: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export function addUser(state: CanvasState, name: string): User {
  const id = state.id();
  const first = (name.split(' ')[0] ?? name).toLowerCase();
  const user: User = {
    id,
    name,
    sortable_name: name.split(' ').reverse().join(', '),
    short_name: name,
    email: `${first}@example.edu`,
    login_id: first,
    sis_user_id: `SIS-${id}`,
    lti_id: `lti-user-${id}-${Math.random().toString(36).slice(2, 10)}`,
    avatar_url: `https://canvas.example/images/avatar-${id}.png`,
    created_at: state.time(),
  };
  state.users.set(id, user);
  return user;
}

export function enroll(state: CanvasState, courseId: number, userId: number, type: EnrollmentType) {
  const id = state.id();
  state.enrollments.set(id, {
    id,
    course_id: courseId,
    user_id: userId,
    type,
    enrollment_state: 'active',
    created_at: state.time(),
    updated_at: state.time(),
  });
}

export async function startSim(): Promise<Sim> {
  const state = new CanvasState();
  const courseId = state.id();
  const course: Course = {
    id: courseId,
    name: 'Introduction to Sync',
    course_code: 'SYNC-101',
    workflow_state: 'available',
    account_id: state.accountId,
    uuid: `course-uuid-${courseId}`,
    sis_course_id: 'SIS-SYNC-101',
    created_at: state.time(),
  };
  state.courses.set(course.id, course);
  const teacher = addUser(state, 'Tess Teacher');
  const students = [addUser(state, 'Sam Student'), addUser(state, 'Sue Scholar')];
  enroll(state, course.id, teacher.id, 'TeacherEnrollment');
  for (const s of students) enroll(state, course.id, s.id, 'StudentEnrollment');

  const [platformPort, toolPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${platformPort}`;
  const platform = createLtiPlatform(state, { issuer });
  const canvasApp = express();
  canvasApp.use(platform.router);
  const canvasServer = await listen(canvasApp, platformPort);

  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = {
    ...(await exportJWK(publicKey)),
    kid: 'tool-key-1',
    alg: 'RS256',
    use: 'sig',
  };
  const toolApp = express();
  toolApp.get('/keys', (_req, res) => res.json({ keys: [publicJwk] }));
  const toolServer = await listen(toolApp, toolPort);
  const origin = `http://127.0.0.1:${toolPort}`;
  const tool: TestTool = {
    origin,
    jwksUrl: `${origin}/keys`,
    loginUrl: `${origin}/login`,
    launchUrl: `${origin}/launch`,
    privateKey,
    publicJwk,
  };
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    state,
    platform,
    issuer,
    course,
    teacher,
    students,
    tool,
    close: async () => {
      await Promise.all([close(canvasServer), close(toolServer)]);
    },
  };
}

/** The developer-key JSON of the test tool (Canvas's manual configuration format). */
export function toolConfiguration(tool: TestTool, scopes: string[]) {
  return {
    title: 'Sync status',
    oidc_initiation_url: tool.loginUrl,
    target_link_uri: tool.launchUrl,
    scopes,
    public_jwk_url: tool.jwksUrl,
    custom_fields: { canvas_course: '$Canvas.course.id', unknown: '$No.such.variable' },
    extensions: [
      {
        domain: new URL(tool.origin).host,
        platform: 'canvas.instructure.com',
        privacy_level: 'public' as const,
        settings: {
          placements: [
            {
              placement: 'course_navigation',
              message_type: 'LtiResourceLinkRequest' as const,
              target_link_uri: `${tool.launchUrl}?placement=course_navigation`,
              custom_fields: { role_list: '$Canvas.membership.roles' },
            },
          ],
        },
      },
    ],
  };
}

/** The action and hidden fields of the auto-submitting form in `html`. */
export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in: ${html.slice(0, 200)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescape(m[1] ?? '')] = unescape(m[2] ?? '');
  }
  return { action: unescape(action), fields };
}

export interface AuthRequest {
  client_id: string;
  redirect_uri: string;
  login_hint: string;
  lti_message_hint: string;
  nonce: string;
  state: string;
  [extra: string]: string;
}

/** Step 2 as the tool sends it: the browser GETs the authorization endpoint (following redirects). */
export async function authenticate(
  issuer: string,
  params: AuthRequest,
  overrides: Record<string, string | undefined> = {},
): Promise<Response> {
  const url = new URL('/api/lti/authorize_redirect', issuer);
  const all: Record<string, string | undefined> = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    ...params,
    ...overrides,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return fetch(url);
}

/** The whole launch: login initiation form, then the auth request; returns the form_post. */
export async function launch(
  sim: Sim,
  args: {
    clientId: string;
    userId: number;
    forge?: Parameters<LtiPlatform['launchUrl']>[0]['forge'];
  },
  request: { nonce?: string; state?: string; redirectUri?: string } = {},
) {
  const loginPage = await fetch(
    sim.platform.launchUrl({
      courseId: sim.course.id,
      clientId: args.clientId,
      userId: args.userId,
      forge: args.forge,
    }),
  );
  const login = parseForm(await loginPage.text());
  const nonce = request.nonce ?? crypto.randomUUID();
  const state = request.state ?? crypto.randomUUID();
  const field = (name: string): string => {
    const value = login.fields[name];
    if (value === undefined) throw new Error(`login initiation has no ${name}`);
    return value;
  };
  const answer = await authenticate(sim.issuer, {
    client_id: field('client_id'),
    redirect_uri: request.redirectUri ?? sim.tool.launchUrl,
    login_hint: field('login_hint'),
    lti_message_hint: field('lti_message_hint'),
    nonce,
    state,
  });
  return { login, nonce, state, answer, post: parseForm(await answer.text()) };
}

/** A client assertion signed with the tool's key (IMS Security Framework 4.1). */
export async function clientAssertion(
  sim: Sim,
  clientId: string,
  overrides: { aud?: string; key?: CryptoKey; iatOffset?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000) + (overrides.iatOffset ?? 0);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: sim.tool.publicJwk.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(overrides.aud ?? `${sim.issuer}/login/oauth2/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(crypto.randomUUID())
    .sign(overrides.key ?? sim.tool.privateKey);
}

export async function requestToken(
  sim: Sim,
  assertion: string,
  scope: string,
  grant = 'client_credentials',
) {
  return fetch(`${sim.issuer}/login/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: grant,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope,
    }),
  });
}

export async function accessToken(sim: Sim, clientId: string, scopes: string[]): Promise<string> {
  const answer = await requestToken(sim, await clientAssertion(sim, clientId), scopes.join(' '));
  if (answer.status !== 200) throw new Error(`token: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { access_token: string }).access_token;
}
