// waitFor rides out transient failures (throttling, server errors, dropped connections) instead of
// failing the activity on the first one, and still ends at once on any other failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { awsPolling, heartbeat, heartbeating, waitFor } from '../../activities/poll.js';

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

test('with changes, a change checks again at once instead of after the pause, and the wait unsubscribes', async () => {
  let calls = 0;
  let subscribed = 0;
  const started = Date.now();
  const value = await waitFor('nodes Ready', async () => (++calls === 2 ? 'ready' : undefined), {
    timeoutMs: 60_000,
    intervalMs: 60_000,
    changes: (changed) => {
      subscribed++;
      const timer = setTimeout(changed, 50);
      return () => {
        subscribed--;
        clearTimeout(timer);
      };
    },
  });
  assert.equal(value, 'ready');
  assert.ok(Date.now() - started < 5_000, 'woken by the change, not the minute-long pause');
  assert.equal(subscribed, 0);
});

test('a change while a check runs is not lost; a failed wait unsubscribes too', async () => {
  let calls = 0;
  let unsubscribed = false;
  let notify = (): void => undefined;
  const changes = (changed: () => void) => {
    notify = changed;
    return () => (unsubscribed = true);
  };
  const value = await waitFor(
    'a deployment',
    async () => {
      if (++calls === 1) notify(); // the change lands before this check answers
      return calls === 2 ? 'available' : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 60_000, changes },
  );
  assert.equal(value, 'available');
  assert.ok(unsubscribed);
  unsubscribed = false;
  await assert.rejects(
    waitFor('a pod', async () => Promise.reject(Object.assign(new Error('Forbidden'), { code: 403 })), {
      timeoutMs: 10_000,
      changes,
    }),
  );
  assert.ok(unsubscribed);
});

test('AWS polls start at half a second and slow to a tenth of the time waited, at most ten seconds', () => {
  assert.equal(awsPolling(0), 500);
  assert.equal(awsPolling(3_000), 500);
  assert.equal(awsPolling(20_000), 2_000);
  assert.equal(awsPolling(15 * 60_000), 10_000);
  // A 15-minute EKS create: about 120 DescribeCluster calls.
  let calls = 0;
  for (let waited = 0; waited < 15 * 60_000; waited += awsPolling(waited)) calls++;
  assert.ok(calls > 100 && calls < 140, `${calls} calls`);
});

test('a check that runs longer than a few seconds is heartbeated while it runs', async () => {
  // A Route53 call backing off from throttling outlasted the 1-minute heartbeat timeout.
  const env = new MockActivityEnvironment();
  const beats: { at: number; detail: unknown }[] = [];
  env.on('heartbeat', (detail: unknown) => beats.push({ at: Date.now(), detail }));
  let checkEnded = 0;
  await env.run(() =>
    waitFor(
      'a record',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5_500));
        checkEnded = Date.now();
        return true;
      },
      { timeoutMs: 60_000 },
    ),
  );
  assert.ok(
    beats.some((b) => b.at < checkEnded),
    `no heartbeat during the 5.5 s check: ${JSON.stringify(beats)}`,
  );
  assert.deepEqual(beats[0]?.detail, { waitingFor: 'a record' });
});

test('a long call is heartbeated while it runs, repeating what it heartbeated last', async () => {
  // A DNS test queued behind other labs' Route53 requests went a minute without a heartbeat; its
  // retry then ran beside it and the first attempt deleted the zone the second used.
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  env.on('heartbeat', (detail: unknown) => beats.push(detail));
  await env.run(() =>
    heartbeating('the DNS test', async () => {
      heartbeat({ waitingFor: 'a record', state: 'throttled' });
      await new Promise((resolve) => setTimeout(resolve, 5_500));
    }),
  );
  assert.deepEqual(beats, [
    { waitingFor: 'the DNS test' },
    { waitingFor: 'a record', state: 'throttled' },
    { waitingFor: 'a record', state: 'throttled' },
  ]);
});
