// What the tool and the platform's storage frame agree on, from the IMS specs:
// - LTI Client Side postMessages (lti.put_data / lti.get_data and their .response, message_id,
//   key, value, error): https://www.imsglobal.org/spec/lti-pm-s/v0p1
// - Client-side OIDC login state (the keys `state_<state>` and `nonce_<nonce>`, and the
//   platform's origin as the messages' target origin, taken from its OIDC auth endpoint):
//   https://www.imsglobal.org/spec/lti-cs-oidc/v0p1
// - Canvas sends `lti_storage_target` ("post_message_forwarding") in the login initiation and in
//   the id_token form_post: https://canvas.instructure.com/doc/api/file.lti_launch_overview.html

/** The key the login's state is stored under (lti-cs-oidc: "state_" + the state value). */
export const stateKey = (state: string) => `state_${state}`;
/** The key the login's nonce is stored under (lti-cs-oidc: "nonce_" + the nonce value). */
export const nonceKey = (nonce: string) => `nonce_${nonce}`;

/** A frame name the platform may name: `_parent` or a plain window name (nothing to inject). */
export function validStorageTarget(target: unknown): target is string {
  return typeof target === 'string' && /^[A-Za-z_][\w.-]{0,99}$/.test(target);
}

/** The fields our launch page posts back after asking the platform's storage. */
export const RETURN_FIELDS = {
  /** Marks the post as our page's answer (never the platform's form_post). */
  marker: 'cds_platform_storage',
  state: 'cds_stored_state',
  nonce: 'cds_stored_nonce',
  /** What went wrong on the page, in words, when the storage did not answer. */
  problem: 'cds_storage_problem',
} as const;

/** How long a login may take from initiation to launch (ltijs's own state cookie: 1 minute). */
export const LOGIN_TTL_MS = 2 * 60 * 1000;
/** How long the pages wait for the storage frame before going on without it. */
export const STORAGE_ANSWER_MS = 4000;
/**
 * How long a session opened without cookies lasts: its ltik is then the only credential (as in
 * ltijs's cookie-less "ltiaas" mode), so it is bounded; a new launch from Canvas opens a new one.
 */
export const COOKIELESS_SESSION_SECONDS = 4 * 60 * 60;
