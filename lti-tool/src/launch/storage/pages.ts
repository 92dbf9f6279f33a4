// The two small pages of a launch without cookies. Both run in the tool's iframe (the tool's
// origin), talk to the platform's storage frame by postMessage with the platform's origin as the
// target origin, and take answers only from that origin with a message_id they sent.
// https://www.imsglobal.org/spec/lti-pm-s/v0p1 (message shapes),
// https://www.imsglobal.org/spec/lti-cs-oidc/v0p1 (the flow: put at login, get at launch).
// They carry nothing secret: the state and nonce the browser already carries in the auth URL,
// never the id_token (held server-side meanwhile).
import { RETURN_FIELDS, STORAGE_ANSWER_MS } from './protocol.js';

export interface StorageItem {
  key: string;
  value?: string;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, '');
}

/**
 * Finds the storage frame and exchanges one message per item; `done(values, problem)` runs once,
 * when every item was answered or after the timeout. Plain ES5 for any browser Canvas supports.
 */
const EXCHANGE = `
function cdsExchange(c, subject, done) {
  var finished = false, values = {}, pending = {}, count = 0;
  function finish(problem) {
    if (finished) return;
    finished = true;
    done(values, problem);
  }
  var host = window.opener || window.parent, frame = null;
  try { frame = c.target === '_parent' ? host : host.frames[c.target]; } catch (e) { frame = null; }
  if (!frame || host === window) return finish('the platform storage frame "' + c.target + '" was not found');
  window.addEventListener('message', function (event) {
    if (event.origin !== c.platformOrigin) return;
    var m = event.data;
    if (!m || typeof m !== 'object' || m.subject !== subject + '.response') return;
    var item = pending[m.message_id];
    if (!item) return;
    delete pending[m.message_id];
    count -= 1;
    if (m.error) return finish('the platform storage answered ' + (m.error.code || 'an error') + ': ' + (m.error.message || ''));
    if (typeof m.value === 'string') values[item.key] = m.value;
    if (count === 0) finish('');
  });
  c.items.forEach(function (item, i) {
    var id = 'cds-' + subject + '-' + i + '-' + Math.random().toString(36).slice(2);
    pending[id] = item;
    count += 1;
    var message = { subject: subject, message_id: id, key: item.key };
    if (item.value !== undefined) message.value = item.value;
    frame.postMessage(message, c.platformOrigin);
  });
  setTimeout(function () { finish('the platform storage did not answer in time'); }, c.timeoutMs);
}`;

function page(title: string, config: unknown, script: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="referrer" content="same-origin"></head>
<body><p>${title}</p>
<script type="application/json" id="cds-storage-config">${scriptJson(config)}</script>
<script>
(function () {
  var c = JSON.parse(document.getElementById('cds-storage-config').textContent);
  ${EXCHANGE}
  ${script}
})();
</script></body></html>`;
}

export interface LoginPageInput {
  /** The platform's OIDC auth endpoint with ltijs's parameters: where the login goes next. */
  next: string;
  platformOrigin: string;
  target: string;
  items: StorageItem[];
  timeoutMs?: number;
}

/** Login: stores the state and nonce in the platform's storage, then goes on to the platform. */
export function loginPage(input: LoginPageInput): string {
  const config = { ...input, timeoutMs: input.timeoutMs ?? STORAGE_ANSWER_MS };
  // Without an answer the login goes on anyway: the cookie may still work, and the launch refuses
  // with the reason when neither does.
  return page(
    'Opening Canvas Discourse Sync…',
    config,
    `cdsExchange(c, 'lti.put_data', function () { window.location.replace(c.next); });`,
  );
}

export interface LaunchPageInput {
  /** Where to post the answer: the launch's own URL. */
  action: string;
  state: string;
  platformOrigin: string;
  target: string;
  stateKey: string;
  nonceKey: string;
  timeoutMs?: number;
}

/** Launch: reads the state and nonce back from the platform's storage and posts them to the tool. */
export function launchPage(input: LaunchPageInput): string {
  const config = {
    action: input.action,
    fields: { state: input.state, [RETURN_FIELDS.marker]: '1' },
    platformOrigin: input.platformOrigin,
    target: input.target,
    items: [{ key: input.stateKey }, { key: input.nonceKey }],
    names: { [input.stateKey]: RETURN_FIELDS.state, [input.nonceKey]: RETURN_FIELDS.nonce },
    problemField: RETURN_FIELDS.problem,
    timeoutMs: input.timeoutMs ?? STORAGE_ANSWER_MS,
  };
  return page(
    'Opening Canvas Discourse Sync…',
    config,
    `cdsExchange(c, 'lti.get_data', function (values, problem) {
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = c.action;
    var add = function (name, value) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.appendChild(input);
    };
    Object.keys(c.fields).forEach(function (name) { add(name, c.fields[name]); });
    Object.keys(c.names).forEach(function (key) { add(c.names[key], values[key] || ''); });
    add(c.problemField, problem || '');
    document.body.appendChild(form);
    form.submit();
  });`,
  );
}
