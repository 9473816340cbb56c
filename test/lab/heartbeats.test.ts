// Activities that take longer than a few seconds heartbeat, or Temporal takes them for lost after
// the 1-minute heartbeat timeout and starts them again: the lab's iperf3 tests, the leak check,
// the IAM undo and the sweeper's listings, each run as the worker runs them, on the sandbox.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { validateSpec, type LabSpec } from '../../lab/spec.js';
import { labActivities, sandboxSpec } from '../helpers/lab.js';
import { createTestCluster, deleteTestCluster, unique } from '../helpers/sandbox.js';

const labId = unique('hb');
const spec: LabSpec = validateSpec(
  sandboxSpec({ labId, nodes: 2, iperf3: { seconds: 6, parallel: 2, udpBandwidth: '1G' } }),
).spec!;

/** Runs one activity as the worker would, collecting what it heartbeats. */
async function heartbeatsOf<A extends unknown[]>(
  activity: (...args: A) => Promise<unknown>,
  ...args: A
): Promise<string[]> {
  const env = new MockActivityEnvironment();
  const beats: string[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(JSON.stringify(d)));
  await env.run(activity, ...args);
  return beats;
}

before(async () => {
  await createTestCluster(labId, 2);
  await labActivities.waitForNodes(spec);
});
after(async () => {
  await labActivities.deleteIperf3Test(spec);
  await deleteTestCluster(labId);
});

test('iperf3 heartbeats through each of its four tests', async () => {
  const beats = await heartbeatsOf(labActivities.iperf3Test, spec);
  for (const name of ['tcp', 'udp', 'bidirectional', 'parallel'])
    assert.ok(
      beats.some((b) => b.includes(`iperf3 ${name} test`)),
      `a heartbeat during the ${name} test: ${beats.join('\n')}`,
    );
});

test('the leak check, the IAM undo and the sweeper listings heartbeat', async () => {
  assert.ok((await heartbeatsOf(labActivities.findLeftovers, spec)).some((b) => b.includes('leak check')));
  assert.ok((await heartbeatsOf(labActivities.deleteIam, spec)).some((b) => b.includes('delete IAM')));
  assert.ok((await heartbeatsOf(labActivities.findLabIds)).some((b) => b.includes('list tagged resources')));
  assert.ok((await heartbeatsOf(labActivities.labResources, labId)).some((b) => b.includes(labId)));
});
