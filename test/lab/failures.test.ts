// Every phase can fail; whichever does, the lab ends with exit code 1 after running the undos
// registered so far in reverse, and nothing tagged with the lab id is left in AWS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabActivities } from '../../activities/index.js';
import { exitCodeOf } from '../../lab/signals.js';
import { validateSpec } from '../../lab/spec.js';
import { failing, labActivities, runLab, sandboxSpec } from '../helpers/lab.js';
import { gatewayAdmin } from '../helpers/sandbox.js';

const cases: { phase: string; activity: keyof LabActivities; undos: string[] }[] = [
  { phase: 'nodes', activity: 'waitForNodes', undos: ['delete node groups', 'delete cluster', 'delete network stack'] },
  {
    phase: 'networking',
    activity: 'verifyNetworking',
    undos: ['delete node groups', 'delete cluster', 'delete network stack'],
  },
  {
    phase: 'density',
    activity: 'podDensity',
    undos: ['delete density test', 'delete node groups', 'delete cluster', 'delete network stack'],
  },
  {
    phase: 'lbController',
    activity: 'installLbController',
    undos: [
      'uninstall the load balancer controller',
      'delete IAM roles, policies and OIDC provider',
      'delete density test',
      'delete node groups',
      'delete cluster',
      'delete network stack',
    ],
  },
  { phase: 'nlb', activity: 'nlbTest', undos: ['delete NLB test', 'uninstall the load balancer controller'] },
  { phase: 'ingress', activity: 'ingressTest', undos: ['delete ingress test', 'delete NLB test'] },
  { phase: 'externalDns', activity: 'dnsTest', undos: ['delete DNS test and its records', 'delete ingress test'] },
  { phase: 'iperf3', activity: 'iperf3Test', undos: ['delete iperf3 pods', 'delete DNS test and its records'] },
];

async function assertNothingLeft(labId: string, spec: ReturnType<typeof sandboxSpec>): Promise<void> {
  const leftovers = await labActivities.findLeftovers(validateSpec(spec).spec!);
  assert.deepEqual(leftovers, [], `${labId} left resources behind`);
}

for (const c of cases) {
  test(`a failure in ${c.phase} ends the lab with code 1, undoes in reverse and leaves nothing`, async () => {
    const spec = sandboxSpec({ replicas: 20 });
    const outcome = await runLab(spec, { [c.activity]: failing(c.activity) });
    assert.equal(exitCodeOf(outcome.report), 1);
    assert.equal(outcome.status, 'FAILED', 'a lab that did not pass is a failed workflow');
    assert.equal(outcome.report.outcome, 'failed');
    const failed = outcome.report.phases.find((p) => p.status === 'failed');
    assert.equal(failed?.phase, c.phase);
    assert.match(failed?.error ?? '', /failed on purpose/);
    const steps = outcome.report.teardown!.map((t) => t.step);
    assert.deepEqual(steps.slice(0, c.undos.length), c.undos, 'undos run newest first');
    assert.equal(steps.at(-1), 'delete network stack');
    assert.ok(outcome.report.teardown!.every((t) => t.ok));
    assert.deepEqual(outcome.report.leftovers, []);
    await assertNothingLeft(spec.labId, spec);
  });
}

test('an AWS call failing with access denied in deploy fails the lab at once and undoes what was made', async () => {
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'CreateNodegroup',
    mode: 'always',
    error: 'AccessDeniedException',
  });
  try {
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
  } finally {
    await gatewayAdmin('DELETE', 'faults');
  }
});

test('invalid input fails validation with code 2 and makes nothing', async () => {
  const spec = sandboxSpec({ instanceType: 'q9.huge' });
  const outcome = await runLab(spec);
  assert.equal(exitCodeOf(outcome.report), 2);
  assert.equal(outcome.status, 'FAILED');
  assert.match(outcome.report.error ?? '', /instanceType: q9\.huge is not offered/);
  assert.equal(outcome.report.teardown, undefined);
});
