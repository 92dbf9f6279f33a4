import assert from 'node:assert/strict';
import { ltiSqlitePath } from './database.js';

describe("ltijs's SQLite file", () => {
  it("sits beside the relay's file, named after it", () => {
    assert.equal(ltiSqlitePath('./data/cds.sqlite'), 'data/cds.lti.sqlite');
    assert.equal(ltiSqlitePath('/var/lib/cds/relay.db'), '/var/lib/cds/relay.lti.db');
    assert.equal(ltiSqlitePath('/var/lib/cds/store'), '/var/lib/cds/store.lti.sqlite');
  });

  it('stays in memory when the relay is', () => {
    assert.equal(ltiSqlitePath(':memory:'), ':memory:');
  });
});
