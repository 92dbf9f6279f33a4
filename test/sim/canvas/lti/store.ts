// What the simulated Canvas keeps for LTI 1.3: developer keys (registrations), their deployments,
// pending launches, registration tokens, issued access tokens, and the AGS line items and results.
// Kept beside CanvasState (one store per state, see `ltiStore`) so every router that has the state
// sees the same registrations without CanvasState growing an LTI section.
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { CanvasState } from '../state.js';

/** Where a tool can be launched from, and with what (Canvas's placements). */
export interface LtiPlacement {
  placement: string;
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  targetLinkUri: string;
  label?: string;
  customParameters: Record<string, string>;
  /** `https://canvas.instructure.com/lti/visibility`, when the tool asked for one. */
  visibility?: 'admins' | 'members' | 'public';
}

/** A developer key with its LTI configuration (Canvas's Lti::Registration). */
export interface LtiRegistration {
  /** The developer key's global id, as Canvas shows it ("10000000000001"). */
  clientId: string;
  /** The local id of the ContextExternalTool installed from it (used for grader ids). */
  toolId: number;
  name: string;
  initiateLoginUri: string;
  redirectUris: string[];
  targetLinkUri: string;
  domain: string;
  jwksUri?: string;
  publicJwk?: JWK;
  scopes: string[];
  placements: LtiPlacement[];
  customParameters: Record<string, string>;
  claims: string[];
  privacyLevel: 'public' | 'name_only' | 'email_only' | 'anonymous';
  /** How it was installed. */
  method: 'dynamic_registration' | 'manual';
  /** The registration request as the tool sent it (dynamic registration only). */
  requested?: Record<string, unknown>;
  createdAt: string;
}

/** An installation of a registration in an account or course (Canvas's deployment_id). */
export interface LtiDeployment {
  deploymentId: string;
  clientId: string;
  contextType: 'Account' | 'Course';
  contextId: number;
}

/** Test-only ways to make the platform issue a bad launch, so tools' refusals can be tested. */
export type LaunchForgery =
  | 'wrong_aud'
  | 'wrong_iss'
  | 'expired'
  | 'reused_nonce'
  | 'unknown_deployment'
  | 'bad_state'
  | 'bad_signature';

export const LAUNCH_FORGERIES: readonly LaunchForgery[] = [
  'wrong_aud',
  'wrong_iss',
  'expired',
  'reused_nonce',
  'unknown_deployment',
  'bad_state',
  'bad_signature',
];

/** A launch Canvas prepared at login initiation, consumed once by the authorization request. */
export interface PendingLaunch {
  verifier: string;
  clientId: string;
  deploymentId: string;
  courseId: number;
  userId: number;
  placement: string;
  targetLinkUri: string;
  forge?: LaunchForgery;
}

export interface IssuedAccessToken {
  jti: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

/** An AGS line item (Canvas's Lti::LineItem); every one is tied to an assignment, as in Canvas. */
export interface LineItem {
  id: number;
  courseId: number;
  clientId: string;
  assignmentId: number;
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  tag?: string;
  resourceLinkId?: string;
  startDateTime?: string;
  endDateTime?: string;
  createdAt: string;
}

/** An AGS result (Canvas's Lti::Result): the last score a tool published for a user. */
export interface LineItemResult {
  id: number;
  lineItemId: number;
  userId: number;
  resultScore: number | null;
  resultMaximum: number | null;
  comment?: string;
  activityProgress: string;
  gradingProgress: string;
  /** The score's `timestamp`: a later score must not be older (Canvas answers 400). */
  updatedAt: string;
  createdAt: string;
}

export class LtiStore {
  readonly registrations = new Map<string, LtiRegistration>();
  readonly deployments = new Map<string, LtiDeployment>();
  readonly pendingLaunches = new Map<string, PendingLaunch>();
  /** Registration tokens issued for dynamic registration, and whether each was used. */
  readonly registrationTokens = new Map<string, { used: boolean }>();
  readonly accessTokens = new Map<string, IssuedAccessToken>();
  /** Nonces the tool sent, per client, in order (the `reused_nonce` forgery replays one). */
  readonly nonces = new Map<string, string[]>();
  readonly lineItems = new Map<number, LineItem>();
  readonly results = new Map<number, LineItemResult>();
  private nextClient = 1;

  constructor(private readonly state: CanvasState) {}

  /** A developer key id as Canvas shows it: a global id on shard 1. */
  newClientId(): string {
    const n = this.nextClient++;
    return String(10000000000000n + BigInt(n));
  }

  /** Canvas's deployment id: "<tool id>:<opaque id of the context it is installed in>". */
  newDeployment(
    clientId: string,
    toolId: number,
    context: LtiDeployment['contextType'],
    contextId: number,
  ) {
    const deployment: LtiDeployment = {
      deploymentId: `${toolId}:${opaqueId(context, contextId)}`,
      clientId,
      contextType: context,
      contextId,
    };
    this.deployments.set(deployment.deploymentId, deployment);
    return deployment;
  }

  /** The deployment that makes `clientId` usable in a course: one in the course, else the account's. */
  deploymentFor(clientId: string, courseId: number): LtiDeployment | undefined {
    const all = [...this.deployments.values()].filter((d) => d.clientId === clientId);
    return (
      all.find((d) => d.contextType === 'Course' && d.contextId === courseId) ??
      all.find((d) => d.contextType === 'Account' && d.contextId === this.state.accountId)
    );
  }
}

/** Canvas's opaque identifier for a record (Lti::Asset.opaque_identifier_for): a stable sha1 hex. */
export function opaqueId(type: string, id: number): string {
  return createHash('sha1').update(`canvas-sim:${type}:${id}`).digest('hex');
}

const stores = new WeakMap<CanvasState, LtiStore>();

/** The LTI store of a simulated Canvas (one per CanvasState). */
export function ltiStore(state: CanvasState): LtiStore {
  let store = stores.get(state);
  if (!store) {
    store = new LtiStore(state);
    stores.set(state, store);
  }
  return store;
}
