// The page's script, inlined by render.ts: buttons post with fetch (the ltik as a Bearer token,
// ltijs's way for requests from the page) and the status refreshes from the tool's stream, so
// nothing reloads. Without it the forms still work (a post, then the page again).
/* global document, window, EventSource */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('cds-config').textContent);
  var auth = { authorization: 'Bearer ' + config.ltik };
  var notice = document.getElementById('cds-notice');
  var statusBox = document.getElementById('cds-status');
  var linksBox = document.getElementById('cds-links');
  var live = document.getElementById('cds-live');
  var SESSION_ENDED =
    'Your session with the sync tool has ended. Open it again from the course navigation ("Discourse Sync") to continue.';

  function say(text, isError) {
    notice.setAttribute('role', isError ? 'alert' : 'status');
    notice.className = isError ? 'cds-problem' : '';
    notice.textContent = text;
  }

  async function messageOf(response) {
    if (response.status === 401) return SESSION_ENDED;
    try {
      var body = await response.json();
      return (body && body.error && body.error.message) || 'HTTP ' + response.status;
    } catch {
      return 'HTTP ' + response.status;
    }
  }

  var refreshing = null;
  var again = false;
  async function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async function () {
      try {
        var response = await fetch('/lti/page/status', { headers: auth });
        if (response.status === 401) return say(SESSION_ENDED, true);
        statusBox.innerHTML = await response.text();
      } catch {
        say('The sync tool cannot be reached. Check your connection, then reload the page.', true);
      } finally {
        refreshing = null;
        if (again) {
          again = false;
          void refresh();
        }
      }
    })();
    return refreshing;
  }

  // The link sections change on a link action, or when the "Link my forum account" window (a
  // window of its own: Discourse is not framed) is done and the person comes back to this one.
  async function refreshLinks() {
    try {
      var response = await fetch('/lti/page/links', { headers: auth });
      if (response.ok) linksBox.innerHTML = await response.text();
    } catch {
      /* the status refresh says so */
    }
  }
  window.addEventListener('focus', function () {
    void refreshLinks();
    void refresh();
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') void refreshLinks();
  });

  document.getElementById('cds-page').addEventListener('submit', async function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains('cds-action')) return;
    event.preventDefault();
    var body = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== 'ltik') body[name] = value;
    });
    var button = form.querySelector('button');
    button.disabled = true;
    say(button.textContent + ': working…', false);
    try {
      var response = await fetch(form.getAttribute('action'), {
        method: 'POST',
        headers: Object.assign(
          { 'content-type': 'application/json', accept: 'application/json' },
          auth,
        ),
        body: JSON.stringify(body),
      });
      if (response.ok) say((await response.json()).message, false);
      else say(await messageOf(response), true);
    } catch {
      say('The sync tool cannot be reached. Check your connection, then try again.', true);
    } finally {
      button.disabled = false;
      await Promise.all([refresh(), refreshLinks()]);
    }
  });

  var timer = null;
  function soon() {
    if (timer) return;
    timer = window.setTimeout(function () {
      timer = null;
      void refresh();
    }, 250);
  }
  var source = new EventSource('/lti/page/stream?ltik=' + encodeURIComponent(config.ltik));
  source.onopen = function () {
    live.textContent = 'Live updates: on';
    document.body.dataset.live = 'on';
  };
  source.onmessage = soon;
  source.addEventListener('problem', function (event) {
    say(JSON.parse(event.data).message, true);
  });
  source.onerror = function () {
    live.textContent = 'Live updates: reconnecting';
    document.body.dataset.live = 'reconnecting';
  };
})();
