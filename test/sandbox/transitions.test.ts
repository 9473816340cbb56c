import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transition } from '../../sandbox/cloud/transitions.js';
import { createTestCluster, deleteTestCluster, gatewayAdmin, unique } from '../helpers/sandbox.js';

test('the gateway records when each stack, cluster, node group, node and system workload changed state', async () => {
  const labId = unique('tr');
  const started = Date.now();
  await createTestCluster(labId, 2);
  const activeSeen = Date.now();
  await deleteTestCluster(labId);
  const goneSeen = Date.now();

  const ours = (await gatewayAdmin<Transition[]>('GET', `transitions?since=${started}`)).filter((t) =>
    t.name.startsWith(labId),
  );
  const at = (kind: string, state: string, name = labId): number => {
    const found = ours.find((t) => t.kind === kind && t.state === state && t.name === name);
    assert.ok(found, `no ${kind} ${name} ${state} in ${JSON.stringify(ours)}`);
    return found.at;
  };
  const stackDone = at('stack', 'CREATE_COMPLETE', `${labId}-network`);
  const clusterActive = at('cluster', 'ACTIVE');
  const nodegroupActive = at('nodegroup', 'ACTIVE', `${labId}/${labId}-ng`);
  // In the order the lab waits for them, each before the test's own poll saw it.
  assert.ok(started < stackDone && stackDone <= clusterActive && clusterActive <= nodegroupActive);
  assert.ok(nodegroupActive <= activeSeen);
  const nodesReady = ours.filter((t) => t.kind === 'node' && t.state === 'Ready');
  assert.equal(nodesReady.length, 2, 'each node once');
  assert.ok(nodesReady.every((t) => t.at >= clusterActive - 1_000 && t.at <= goneSeen));
  assert.ok(at('daemonset', 'Ready', `${labId}/kube-system/aws-node`) > clusterActive - 1_000);
  const nodegroupGone = at('nodegroup', 'gone', `${labId}/${labId}-ng`);
  const clusterGone = at('cluster', 'gone');
  assert.ok(activeSeen < nodegroupGone && nodegroupGone < clusterGone && clusterGone <= goneSeen);
  assert.ok(at('stack', 'DELETE_COMPLETE', `${labId}-network`) >= clusterGone);
});
