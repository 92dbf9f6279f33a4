import { strict as assert } from 'node:assert';
import { canvasIdOnShard, globalCanvasId, localCanvasId } from './ids.js';

describe('Canvas ids: local to global', () => {
  it("places a local id on the reference's shard", () => {
    assert.equal(globalCanvasId('565', '21070000000000001'), '21070000000000565');
    assert.equal(globalCanvasId('123', '21070000000000565'), '21070000000000123');
  });

  it('keeps a global id, and a local id without a global reference, as they are', () => {
    assert.equal(globalCanvasId('21080000000000007', '21070000000000001'), '21080000000000007');
    assert.equal(globalCanvasId('565', undefined), '565');
    assert.equal(globalCanvasId('565', '1'), '565', 'a local reference names no shard');
  });

  it('turns REST local ids into the global ids Live Events use, and back', () => {
    assert.equal(canvasIdOnShard(565, 2107n), '21070000000000565');
    assert.equal(canvasIdOnShard(-42, 2107n), null); // the automatic grader
    assert.equal(localCanvasId('21070000000000565'), '565');
  });
});
