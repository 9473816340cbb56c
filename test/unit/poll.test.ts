// waitFor rides out transient failures (throttling, server errors, dropped connections) instead of
// failing the activity on the first one, and still ends at once on any other failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { waitFor } from '../../activities/poll.js';

const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const unavailable = Object.assign(new Error('Service Unavailable'), {
  name: 'Error',
  $metadata: { httpStatusCode: 503 },
});

test('transient failures are ridden out until the wait succeeds', async () => {
  const answers = [throttled, reset, unavailable, ApplicationFailure.retryable('k8s 429', 'TooManyRequests')];
  let calls = 0;
  const value = await waitFor(
    'a stack',
    async () => {
      const next = answers[calls++];
      if (next) throw next;
      return 'done';
    },
    { timeoutMs: 10_000, intervalMs: 10 },
  );
  assert.equal(value, 'done');
  assert.equal(calls, 5);
});

test('any other failure ends the wait at once', async () => {
  let calls = 0;
  await assert.rejects(
    waitFor(
      'a stack',
      async () => {
        calls++;
        throw ApplicationFailure.nonRetryable('stack ROLLBACK_COMPLETE', 'StackRollback');
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    ),
    /ROLLBACK_COMPLETE/,
  );
  await assert.rejects(
    waitFor('a pod', async () => Promise.reject(Object.assign(new Error('Forbidden'), { code: 403 })), {
      timeoutMs: 10_000,
      intervalMs: 10,
    }),
    /Forbidden/,
  );
  assert.equal(calls, 1);
});

test('a wait that only ever fails transiently times out naming the last error', async () => {
  await assert.rejects(
    waitFor('a cluster', async () => Promise.reject(throttled), { timeoutMs: 50, intervalMs: 10 }),
    /timed out after 0s waiting for a cluster \(last error: Rate exceeded\)/,
  );
});
