import assert from 'node:assert/strict';
import { loadSettings, workerProcesses } from './settings.js';

describe('the bench settings', () => {
  it('defaults to 5,000 and 20,000 events in three layouts, 50k background, 100k backlog', () => {
    const s = loadSettings({});
    assert.deepEqual(s.sizes, [5000, 20_000]);
    assert.deepEqual(s.layouts, ['all', 'web+1', 'web+2']);
    assert.equal(s.background, 50_000);
    assert.equal(s.backlog, 100_000);
    assert.equal(s.backgroundInterval, '5s');
  });

  it('reads sizes in any order and reports them ascending', () => {
    assert.deepEqual(loadSettings({ BENCH_EVENTS: '20000, 5_000' }).sizes, [5000, 20_000]);
  });

  it('names the variable of a wrong value', () => {
    assert.throws(() => loadSettings({ BENCH_EVENTS: '5k' }), /BENCH_EVENTS/);
    assert.throws(() => loadSettings({ BENCH_LAYOUTS: 'web' }), /BENCH_LAYOUTS: "web"/);
    assert.throws(
      () => loadSettings({ BENCH_REPEAT: '0' }),
      /BENCH_REPEAT must be an integer >= 1/,
    );
    assert.throws(
      () => loadSettings({ BENCH_BACKGROUND_INTERVAL: 'soon' }),
      /BACKGROUND_BATCH_INTERVAL/,
    );
  });

  it('counts the worker processes of a layout', () => {
    assert.equal(workerProcesses('all'), 0);
    assert.equal(workerProcesses('web+2'), 2);
  });
});
