import { strict as assert } from 'node:assert';
import { PAYLOAD_SCHEMAS_V1 } from '@cds/shared';
import { invalidValue } from './outcomes.js';

describe('the rejection of an invalid value', () => {
  it('names the entity, the path and the message of the first issue', () => {
    const parsed = PAYLOAD_SCHEMAS_V1.profile.safeParse({ canvas_user_id: 42 });
    assert.equal(parsed.success, false);
    const issue = parsed.error!.issues[0]!;
    assert.deepEqual(invalidValue('profile', parsed.error!), {
      outcome: 'rejected',
      reason: `profile value is invalid: ${issue.path.join('.')}: ${issue.message}`,
    });
    assert.ok(issue.path.length > 0);
  });

  it('says (root) when the value itself is not an object', () => {
    const parsed = PAYLOAD_SCHEMAS_V1.content_edit.safeParse('text');
    const outcome = invalidValue('content_edit', parsed.error!);
    assert.equal(outcome.outcome, 'rejected');
    assert.match(
      (outcome as { reason: string }).reason,
      /^content_edit value is invalid: \(root\): /,
    );
  });
});
