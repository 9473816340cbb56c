// Real labs on the sandbox that fail on purpose end with exit code 1 and leave nothing tagged with
// the lab id in AWS: once with everything made (the last phase fails), once with undos of
// things never made (the load balancer controller's release fails before it is made), and
// once with AWS refusing a create. The order of the undos is test/unit/undo-order.test.ts's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabActivities } from '../../activities/index.js';
import { exitCodeOf } from '../../lab/signals.js';
import { validateSpec } from '../../lab/spec.js';
import { failing, labActivities, runLab, sandboxSpec } from '../helpers/lab.js';
import { nodegroupAccessDenied, withFault } from '../helpers/sandbox.js';

const cases: { phase: string; activity: keyof LabActivities }[] = [
  { phase: 'lbController', activity: 'installLbController' },
  { phase: 'iperf3', activity: 'iperf3Test' },
];

async function assertNothingLeft(labId: string, spec: ReturnType<typeof sandboxSpec>): Promise<void> {
  const leftovers = await labActivities.findLeftovers(validateSpec(spec).spec!);
  assert.deepEqual(leftovers, [], `${labId} left resources behind`);
}

for (const c of cases) {
  test(`a failure in ${c.phase} ends the lab with code 1, every undo succeeds and nothing is left`, async () => {
    const spec = sandboxSpec({ replicas: 20 });
    const outcome = await runLab(spec, { [c.activity]: failing(c.activity) });
    assert.equal(exitCodeOf(outcome.report), 1);
    assert.equal(outcome.status, 'FAILED', 'a lab that did not pass is a failed workflow');
    assert.equal(outcome.report.outcome, 'failed');
    const failed = outcome.report.phases.find((p) => p.status === 'failed');
    assert.equal(failed?.phase, c.phase);
    assert.match(failed?.error ?? '', /failed on purpose/);
    assert.equal(outcome.report.teardown!.at(-1)?.step, 'delete network stack');
    assert.deepEqual(
      outcome.report.teardown!.filter((t) => !t.ok),
      [],
    );
    assert.deepEqual(outcome.report.leftovers, []);
    await assertNothingLeft(spec.labId, spec);
  });
}

test('an AWS call failing with access denied in deploy fails the lab at once and undoes what was made', () =>
  withFault(nodegroupAccessDenied, async () => {
    const spec = sandboxSpec({ phases: [] });
    const outcome = await runLab(spec);
    assert.equal(exitCodeOf(outcome.report), 1);
    const deploy = outcome.report.phases.find((p) => p.phase === 'deploy');
    assert.equal(deploy?.status, 'failed');
    assert.match(deploy?.error ?? '', /AccessDenied/);
    assert.deepEqual(
      outcome.report.teardown!.map((t) => t.step),
      ['delete node groups', 'delete cluster', 'delete network stack'],
    );
    await assertNothingLeft(spec.labId, spec);
  }));

test('invalid input fails validation with code 2 and makes nothing', async () => {
  const spec = sandboxSpec({ instanceType: 'q9.huge' });
  const outcome = await runLab(spec);
  assert.equal(exitCodeOf(outcome.report), 2);
  assert.equal(outcome.status, 'FAILED');
  assert.match(outcome.report.error ?? '', /instanceType: q9\.huge is not offered/);
  assert.equal(outcome.report.teardown, undefined);
});
