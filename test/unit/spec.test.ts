import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxPodsPerNode } from '../../lab/capacity.js';
import { parseDuration, phasesToRun, validateSpec } from '../../lab/spec.js';

test('max pods per node follows the VPC CNI formula (t3.medium 17, m5.large 29)', () => {
  assert.equal(maxPodsPerNode(3, 6), 17);
  assert.equal(maxPodsPerNode(3, 10), 29);
});

test('a valid spec gets the write-up defaults', () => {
  const { spec, problems } = validateSpec({ labId: 'demo-1' });
  assert.deepEqual(problems, []);
  assert.equal(spec?.instanceType, 't3.medium');
  assert.equal(spec?.nodes, 3);
  assert.equal(spec?.replicas, 50);
  assert.deepEqual(spec?.subnetCidrs, ['192.168.1.0/24', '192.168.2.0/24', '192.168.3.0/24']);
});

test('every problem is listed with its field', () => {
  const { problems } = validateSpec({
    labId: 'Bad_Id',
    nodes: 0,
    vpcCidr: '10.0.0.0/16',
    ttl: 'soon',
    phases: ['nlb'],
  });
  const fields = problems.map((p) => p.field).sort();
  assert.deepEqual(fields, ['labId', 'nodes', 'phases', 'subnetCidrs', 'ttl']);
  assert.match(problems.find((p) => p.field === 'phases')!.message, /nlb needs lbController/);
});

test('durations and phase selection', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('later'), undefined);
  const { spec } = validateSpec({ labId: 'demo-2', phases: ['density'] });
  assert.deepEqual(phasesToRun(spec!), ['validate', 'deploy', 'nodes', 'density', 'report', 'teardown', 'leakCheck']);
});
