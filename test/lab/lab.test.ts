// Whole labs on the sandbox: the report's figures come from the environment, creates survive
// lost answers without duplicates, and one lab's history stays small.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf } from '../../lab/signals.js';
import { runLab, sandboxSpec } from '../helpers/lab.js';
import { gatewayAdmin } from '../helpers/sandbox.js';

test('every phase passes on the sandbox with figures that match it', async () => {
  const spec = sandboxSpec();
  const outcome = await runLab(spec);
  const r = outcome.report;
  assert.equal(r.outcome, 'passed', r.error);
  assert.equal(exitCodeOf(r), 0);
  assert.equal(outcome.status, 'COMPLETED');
  assert.ok(
    r.phases.every((p) => p.status === 'passed'),
    JSON.stringify(r.phases.filter((p) => p.status !== 'passed')),
  );
  assert.deepEqual(
    r.nodes!.map((n) => n.allocatablePods),
    [17, 17, 17],
  );
  assert.equal(r.density!.expectedMaxPodsPerNode, 17);
  // The controller runs before the density test: its 2 pods are system pods beside aws-node and
  // kube-proxy on each node and coredns' 2.
  assert.equal(r.density!.systemPods, 3 + 3 + 2 + 2);
  assert.equal(r.density!.expectedFreeCapacity, 41);
  assert.equal(r.density!.running, 41);
  assert.equal(r.density!.pending, 9);
  assert.deepEqual(r.density!.pendingReasons, { 'Too many pods': 9 });
  assert.deepEqual(r.networking!.addons.map((a) => a.name).sort(), ['coredns', 'kube-proxy', 'vpc-cni']);
  assert.equal(r.networking!.kubeProxyMode, 'iptables');
  assert.equal(r.networking!.podsOutsideVpc, 0);
  // The VPC CNI map names every pod's ENI (the sandbox gives pod IPs the VPC CNI way).
  assert.equal(r.networking!.podsOnNoEni, 0, JSON.stringify(r.networking!.pods.filter((p) => !p.eniId)));
  assert.equal(
    Object.values(r.nlb!.perPod).reduce((a, b) => a + b, 0),
    100,
  );
  assert.deepEqual(Object.values(r.nlb!.perPod), [50, 50]);
  assert.ok(r.nlb!.checks.every((c) => c.targetsMatch));
  assert.equal(r.ingress!.httpStatus, 200);
  assert.ok(r.dns!.resolvedMs >= r.dns!.recordCreatedMs);
  assert.ok(r.iperf3!.tests.every((t) => t.gbps > 0));
  assert.deepEqual(r.leftovers, []);
  // The phase graph: the controller starts with the cluster, ends before density starts; the
  // tests run together after density.
  const time = (id: string, end: 'startedAt' | 'endedAt'): number =>
    Date.parse(r.phases.find((p) => p.phase === id)![end]!);
  assert.ok(time('lbController', 'startedAt') < time('deploy', 'endedAt'), 'the controller overlaps deploy');
  assert.ok(time('lbController', 'endedAt') <= time('density', 'startedAt'), 'the controller runs before density');
  const tests = ['nlb', 'ingress', 'externalDns', 'iperf3'];
  for (const t of tests) assert.ok(time(t, 'startedAt') >= time('density', 'endedAt'), `${t} after density`);
  assert.ok(
    Math.max(...tests.map((t) => time(t, 'startedAt'))) < Math.min(...tests.map((t) => time(t, 'endedAt'))),
    'the tests run together',
  );
  assert.ok(outcome.historyEvents < 1000, `history has ${outcome.historyEvents} events`);
  console.log(`history events of a whole lab: ${outcome.historyEvents}`);
});

test('another instance type and node count change the figures as EC2 says', async () => {
  const outcome = await runLab(sandboxSpec({ instanceType: 'm5.large', nodes: 2, replicas: 60, phases: ['density'] }));
  const d = outcome.report.density!;
  assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
  assert.equal(d.expectedMaxPodsPerNode, 29); // 3 ENIs × (10 − 1) + 2
  assert.deepEqual(Object.values(d.allocatablePodsPerNode), [29, 29]);
  assert.equal(d.expectedFreeCapacity, 2 * 29 - (2 * 2 + 2));
  assert.equal(d.running, d.expectedFreeCapacity);
  assert.equal(d.pending, 60 - d.expectedFreeCapacity);
});

test('a create whose answer is lost is retried without making a second resource', async () => {
  const spec = sandboxSpec({ phases: [] });
  await gatewayAdmin('POST', 'faults', {
    service: 'cloudformation',
    operation: 'CreateStack',
    mode: 'once',
    error: 'InternalError',
    after: true,
  });
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'CreateNodegroup',
    mode: 'once',
    error: 'InternalError',
    after: true,
  });
  try {
    const outcome = await runLab({ ...spec, keep: false });
    assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    const faults = await gatewayAdmin<unknown[]>('GET', 'faults');
    assert.deepEqual(faults, [], 'both injected faults were hit');
    assert.equal(outcome.report.deploy?.nodegroupName, `${spec.labId}-ng`);
    assert.equal(outcome.report.nodes?.length, 3, 'one node group of 3 nodes, not two');
    assert.equal(outcome.report.deploy?.network.subnetIds.length, 3, 'one stack');
  } finally {
    await gatewayAdmin('DELETE', 'faults');
  }
});
