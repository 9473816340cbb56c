// The lab workflow's Temporal semantics, with stand-in activities on the real dev server (the
// cloud is not the point here): how a lab that did not pass ends, cancel during a hold, the TTL
// cap, cancellation of an activity that is making something, and undos that outlast throttling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { labOutcome } from '../../client/follow.js';
import { exitCodeOf, extendTtlSignal, progressQuery, releaseSignal, type LabOutcome } from '../../lab/signals.js';
import type { LabActivities } from '../../activities/index.js';
import { failingFake, fakeLabActivities } from '../helpers/fake-lab.js';
import { sandboxSpec, startLab } from '../helpers/lab.js';
import { eventually } from '../helpers/sandbox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a lab on stand-ins; returns how its workflow ended. */
async function runFake(
  spec: ReturnType<typeof sandboxSpec>,
  activities: Partial<LabActivities>,
  steer?: (h: WorkflowHandle) => Promise<void>,
): Promise<{ outcome: LabOutcome; status: string; failure?: ApplicationFailure }> {
  const lab = await startLab(spec, fakeLabActivities(activities));
  try {
    await steer?.(lab.handle);
    const failure = await lab.handle.result().then(
      () => undefined,
      (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause as ApplicationFailure) : undefined),
    );
    return { outcome: await labOutcome(lab.handle), status: (await lab.handle.describe()).status.name, failure };
  } finally {
    await lab.stop();
  }
}

const held = async (h: WorkflowHandle): Promise<LabOutcome['report']> =>
  eventually('the lab held after its report', async () => {
    const p = await h.query(progressQuery);
    return p.held && p.phases.find((x) => x.phase === 'report')?.status === 'passed' ? p : undefined;
  });

for (const c of [
  { name: 'passed', activities: {}, status: 'COMPLETED', type: undefined, code: 0 },
  {
    name: 'failed',
    activities: { podDensity: failingFake('podDensity') },
    status: 'FAILED',
    type: 'LabFailed',
    code: 1,
  },
  {
    name: 'invalid',
    activities: { validateLab: failingFake('validateLab') },
    status: 'FAILED',
    type: 'LabInvalid',
    code: 2,
  },
  {
    name: 'teardown-incomplete',
    activities: { findLeftovers: async () => [{ kind: 'vpc', id: 'vpc-left' }] },
    status: 'FAILED',
    type: 'LabTeardownIncomplete',
    code: 3,
  },
] as const) {
  test(`a ${c.name} lab ends its workflow ${c.status}, after teardown, with its outcome`, async () => {
    const { outcome, status, failure } = await runFake(sandboxSpec({ phases: ['density'] }), c.activities);
    assert.equal(status, c.status);
    assert.equal(failure?.type, c.type);
    if (failure) assert.equal(failure.nonRetryable, true);
    assert.equal(exitCodeOf(outcome.report), c.code);
    if (c.code !== 2) assert.equal(outcome.report.phases.find((p) => p.phase === 'teardown')?.status, 'passed');
  });
}

test('cancel on a held lab ends the hold and tears down', async () => {
  const { outcome, status } = await runFake(sandboxSpec({ phases: ['density'], keep: true }), {}, async (h) => {
    await held(h);
    await h.cancel();
    await eventually('the lab to end after the cancel', async () =>
      (await h.describe()).status.name !== 'RUNNING' ? true : undefined,
    );
  });
  assert.equal(status, 'COMPLETED', 'the tests had passed: the lab passes after its teardown');
  assert.deepEqual(
    outcome.report.teardown?.map((t) => t.step),
    ['delete density test', 'delete node groups', 'delete cluster', 'delete network stack'],
  );
});

test('extend-ttl refuses a duration that is not finite or over 7 days, and takes one within', async () => {
  await runFake(sandboxSpec({ phases: [], keep: true }), {}, async (h) => {
    const before = (await held(h)).ttlDeadline;
    await h.signal(extendTtlSignal, `${'9'.repeat(400)}h`);
    await h.signal(extendTtlSignal, '169h');
    assert.equal((await h.query(progressQuery)).ttlDeadline, before, 'refused: the deadline stays');
    await h.signal(extendTtlSignal, '168h');
    const after = Date.parse((await h.query(progressQuery)).ttlDeadline!);
    assert.ok(after - Date.parse(before!) >= 168 * 3_600_000 - 60_000, `moved by ${after - Date.parse(before!)} ms`);
    await h.signal(releaseSignal);
  });
});

test('a cancel while a create is in flight: the undo runs only after the create has finished', async () => {
  let created = false;
  let undoSawCreated: boolean | undefined;
  const { outcome } = await runFake(
    sandboxSpec({ phases: [] }),
    {
      // A create call that is already on its way: it neither heartbeats nor sees the cancel.
      createNetworkStack: async () => {
        await sleep(3_000);
        created = true;
        return fakeLabActivities().createNetworkStack(undefined as never, []);
      },
      deleteNetworkStack: async () => void (undoSawCreated = created),
    },
    async (h) => {
      await eventually('deploy running', async () =>
        (await h.query(progressQuery)).phases.find((p) => p.phase === 'deploy')?.status === 'running'
          ? true
          : undefined,
      );
      await sleep(500);
      await h.cancel();
    },
  );
  assert.equal(outcome.report.error, 'cancelled');
  assert.equal(undoSawCreated, true, 'the stack delete ran after the stack was made');
});

test('an undo outlasts throttling: retried with no attempt cap until it succeeds', async () => {
  let throttled = true;
  let attempts = 0;
  const { outcome } = await runFake(
    sandboxSpec({ phases: [] }),
    {
      deleteNetworkStack: async () => {
        attempts++;
        if (throttled) throw ApplicationFailure.retryable('Rate exceeded', 'Throttling');
      },
    },
    async (h) => {
      const pending = await eventually(
        'the stack delete retried twice',
        async () => {
          const a = (await h.describe()).raw.pendingActivities?.find(
            (p) => p.activityType?.name === 'deleteNetworkStack',
          );
          return a && (a.attempt ?? 0) >= 3 ? a : undefined;
        },
        60_000,
      );
      assert.equal(pending.maximumAttempts ?? 0, 0, 'no attempt cap');
      assert.match(pending.lastFailure?.message ?? '', /Rate exceeded/);
      throttled = false;
    },
  );
  assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
  assert.ok(attempts >= 3, `${attempts} attempts`);
  assert.deepEqual(outcome.report.teardown?.at(-1), { step: 'delete network stack', ok: true });
});
