// The critical path of the emulated cloud's delays through the lab's dependency graph, worked out
// by hand for the realistic profile, a lab with some phases left out, and a half-way wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { criticalPath } from '../../bench/critical-path.js';
import { labStepIds, labSteps, type LabStep, type LabStepId } from '../../lab/graph.js';
import { optionalPhases } from '../../lab/phases.js';
import { latencyProfiles } from '../../sandbox/cloud/latency.js';

const spec = { iperf3: { seconds: 1, parallel: 2, udpBandwidth: '1G' }, replicas: 50, phases: [...optionalPhases] };

test('realistic: network, cluster and node group, the controller, density, the DNS test, then teardown', () => {
  // Pod starts are drawn between 1 and 4 s: the slowest of n is expected at 1 + 3·n/(n+1) s.
  const controller = 1_000 + 3_000 * (2 / 3);
  const density = 1_000 + 3_000 * (50 / 51);
  const dns = 1_000 + 3_000 * (1 / 2) + 30_000;
  const teardown = 20_000 + 20_000;
  const path = criticalPath({ profile: latencyProfiles.realistic, spec });
  assert.deepEqual(path.steps, [
    'network',
    'cluster',
    'nodegroup',
    'deploy',
    'lbController',
    'density',
    'externalDns',
    'teardown',
  ]);
  assert.ok(Math.abs(path.totalMs - (20_000 + 60_000 + 45_000 + controller + density + dns + teardown)) < 1e-6);
});

test('phases left out are not on the path, and what needed them no longer waits for them', () => {
  const path = criticalPath({ profile: latencyProfiles.fast, spec: { ...spec, phases: ['iperf3'] } });
  assert.deepEqual(path.steps, ['network', 'cluster', 'nodegroup', 'deploy', 'nodes', 'iperf3', 'teardown']);
  assert.equal(path.totalMs, 500 + 1_000 + 1_000 + 4 * 1_000 + 500 + 500);
});

test('a half-way wait counts from the start: the step waits for the slower of its needs and its half-way needs', () => {
  const none: LabStep = { needs: [], spends: () => 0 };
  const steps = Object.fromEntries(labStepIds.map((id) => [id, none])) as Record<LabStepId, LabStep>;
  steps.network = { needs: [], spends: () => 5_000 };
  steps.cluster = { needs: [], spends: () => 2_000 };
  steps.lbController = { needs: ['cluster'], needsHalfWay: ['network'], spends: () => 1_000 };
  const path = criticalPath({ profile: latencyProfiles.fast, spec }, steps);
  assert.deepEqual(path, { totalMs: 6_000, steps: ['network', 'lbController'] });
});

test('every step needs only steps declared before it, the order the workflow starts them in', () => {
  for (const [i, id] of labStepIds.entries()) {
    const { needs, needsHalfWay = [] } = labSteps[id];
    for (const need of [...needs, ...needsHalfWay])
      assert.ok(labStepIds.indexOf(need) < i, `${id} needs ${need}, declared after it`);
  }
});
