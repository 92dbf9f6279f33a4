import assert from 'node:assert/strict';
import { loadCanvasCaptureSettings } from './settings.js';
import { globalId, localId } from '../poller/ids.js';
import { nextLink } from '../poller/canvas-rest.js';

describe('Canvas capture settings', () => {
  it('refuses unsigned Live Events and polls nothing by default', () => {
    const s = loadCanvasCaptureSettings({});
    assert.equal(s.allowUnsigned, false);
    assert.deepEqual(s.pollCourses, []);
    assert.equal(s.pollIntervalMs, 300_000);
  });

  it('names the variable and the fix when polling lacks Canvas credentials', () => {
    assert.throws(
      () => loadCanvasCaptureSettings({ CANVAS_POLL_COURSES: '21070000000000565' }),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_INVALID_CONFIG' && /CANVAS_URL and CANVAS_API_TOKEN/.test(e.message),
    );
    assert.throws(
      () => loadCanvasCaptureSettings({ CANVAS_LIVE_EVENTS_UNSIGNED: 'yes' }),
      /CANVAS_LIVE_EVENTS_UNSIGNED must be "allow"/,
    );
  });
});

describe('Canvas ids and pagination', () => {
  it('turns REST local ids into the global ids Live Events use, and back', () => {
    assert.equal(globalId(565, 2107n), '21070000000000565');
    assert.equal(globalId(-42, 2107n), null); // the automatic grader
    assert.equal(localId('21070000000000565'), '565');
  });

  it('follows only rel="next" of a Link header', () => {
    const link =
      '<https://c.test/api/v1/x?page=bookmark:abc&per_page=10>; rel="next",<https://c.test/api/v1/x?page=first&per_page=10>; rel="first"';
    assert.equal(nextLink(link), 'https://c.test/api/v1/x?page=bookmark:abc&per_page=10');
    assert.equal(nextLink('<https://c.test/x?page=1>; rel="first"'), undefined);
  });
});
