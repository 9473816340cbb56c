// Steering a running lab on the real dev server: the progress query, every signal, cancel and
// the TTL — and whichever ends it, nothing tagged with the lab id is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { extendTtlSignal, holdSignal, progressQuery, releaseSignal, teardownNowSignal } from '../../lab/signals.js';
import { validateSpec } from '../../lab/spec.js';
import { labOutcome } from '../../client/follow.js';
import { endless } from '../helpers/fake-lab.js';
import { labActivities, sandboxSpec, startLab } from '../helpers/lab.js';
import { eventually } from '../helpers/sandbox.js';

const phaseStatus = async (handle: WorkflowHandle, phase: string): Promise<string | undefined> =>
  (await handle.query(progressQuery)).phases.find((p) => p.phase === phase)?.status;

async function assertNothingLeft(spec: ReturnType<typeof sandboxSpec>): Promise<void> {
  assert.deepEqual(await labActivities.findLeftovers(validateSpec(spec).spec!), []);
}

test('progress shows the running phase; hold keeps the lab up after its tests, extend-ttl moves the TTL, release tears down', async () => {
  const spec = sandboxSpec({ phases: ['density'], replicas: 10 });
  const lab = await startLab(spec);
  try {
    await lab.handle.signal(holdSignal);
    await eventually('deploy running', async () =>
      (await phaseStatus(lab.handle, 'deploy')) === 'running' ? true : undefined,
    );
    await eventually(
      'held after the tests',
      async () => {
        const p = await lab.handle.query(progressQuery);
        return p.held &&
          p.phases.find((x) => x.phase === 'density')?.status === 'passed' &&
          p.phases.find((x) => x.phase === 'report')?.status === 'passed'
          ? p
          : undefined;
      },
      180_000,
    );
    assert.equal(await phaseStatus(lab.handle, 'teardown'), 'pending', 'held: no teardown yet');
    const before = Date.parse((await lab.handle.query(progressQuery)).ttlDeadline!);
    await lab.handle.signal(extendTtlSignal, '30m');
    const after = Date.parse((await lab.handle.query(progressQuery)).ttlDeadline!);
    assert.ok(after - before >= 30 * 60_000 - 1000, `TTL moved by ${(after - before) / 1000}s`);
    await lab.handle.signal(releaseSignal);
    const outcome = await labOutcome(lab.handle);
    assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    await assertNothingLeft(spec);
  } finally {
    await lab.stop();
  }
});

for (const how of ['teardown-now', 'cancel', 'ttl'] as const) {
  test(`${how} stops a running phase and still tears everything down`, async () => {
    const spec = sandboxSpec({ phases: ['density'], ...(how === 'ttl' ? { ttl: '45s' } : {}) });
    const lab = await startLab(spec, { podDensity: endless });
    try {
      // The TTL needs no prompt: it fires wherever the lab is by then.
      if (how !== 'ttl')
        await eventually(
          'the endless phase running',
          async () => ((await phaseStatus(lab.handle, 'density')) === 'running' ? true : undefined),
          300_000,
        );
      if (how === 'teardown-now') await lab.handle.signal(teardownNowSignal);
      if (how === 'cancel') await lab.handle.cancel();
      const outcome = await labOutcome(lab.handle);
      const expected = { 'teardown-now': 'teardown requested', cancel: 'cancelled', ttl: 'the lab TTL fired' }[how];
      assert.equal(outcome.report.error, expected);
      assert.equal(
        outcome.report.phases.filter((p) => p.status === 'cancelled').length,
        1,
        'the running phase was cancelled',
      );
      assert.ok(outcome.report.teardown!.every((t) => t.ok));
      assert.deepEqual(outcome.report.leftovers, []);
      await assertNothingLeft(spec);
    } finally {
      await lab.stop();
    }
  });
}
