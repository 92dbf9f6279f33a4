// The platform side of LTI client-side storage: Canvas names a frame in `lti_storage_target`
// ("post_message_forwarding"), served from the OIDC auth origin, that answers lti.capabilities,
// lti.put_data and lti.get_data postMessages, so a tool in an iframe without cookies can keep its
// OIDC state. https://www.imsglobal.org/spec/lti-pm-s/v0p1 ,
// https://www.imsglobal.org/spec/lti-cs-oidc/v0p1 and
// https://canvas.instructure.com/doc/api/file.lti_launch_overview.html#cookie-less
export const STORAGE_TARGET = 'post_message_forwarding';

/** The listener script: one store per tool origin, as the spec requires. */
export const STORAGE_SCRIPT = `
(function () {
  var data = {};
  window.addEventListener('message', function (event) {
    var m = event.data;
    if (!m || typeof m !== 'object' || typeof m.subject !== 'string' || !event.source) return;
    var reply = function (body) {
      body.message_id = m.message_id;
      event.source.postMessage(body, event.origin);
    };
    var slot = event.origin + ' ' + m.key;
    if (m.subject === 'lti.capabilities') {
      reply({
        subject: 'lti.capabilities.response',
        supported_messages: [
          { subject: 'lti.capabilities' },
          { subject: 'lti.put_data', frame: '${STORAGE_TARGET}' },
          { subject: 'lti.get_data', frame: '${STORAGE_TARGET}' }
        ]
      });
    } else if (m.subject === 'lti.put_data') {
      if (typeof m.key !== 'string') {
        reply({ subject: 'lti.put_data.response', error: { code: 'bad_request', message: 'key is required' } });
        return;
      }
      if (m.value === undefined || m.value === null) delete data[slot]; else data[slot] = String(m.value);
      reply({ subject: 'lti.put_data.response', key: m.key, value: m.value });
    } else if (m.subject === 'lti.get_data') {
      if (typeof m.key !== 'string') {
        reply({ subject: 'lti.get_data.response', error: { code: 'bad_request', message: 'key is required' } });
        return;
      }
      reply({ subject: 'lti.get_data.response', key: m.key, value: data[slot] });
    }
  });
})();
`;

export function storageFramePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LTI platform storage</title></head>
<body><script>${STORAGE_SCRIPT}</script></body></html>`;
}
