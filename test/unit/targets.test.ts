// A lab never reaches a cloud it was not started for: each target has its own task queue, and a
// worker refuses a lab of the other target before it looks anything up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.js';
import { awsTarget } from '../../worker/config.js';
import { labTargets, taskQueueFor } from '../../lab/targets.js';

test('each target has its own task queue', () => {
  assert.equal(new Set(labTargets.map(taskQueueFor)).size, labTargets.length);
});

test('an AWS worker refuses a sandbox lab as invalid input, naming the target', async () => {
  const activities = createActivities(awsTarget('ap-northeast-2'));
  await assert.rejects(activities.validateLab({ labId: 'wrong-cloud', target: 'sandbox' }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'InvalidSpec');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /target: this worker acts on aws, not sandbox/);
    return true;
  });
});
