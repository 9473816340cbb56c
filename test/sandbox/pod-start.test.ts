// The latency profile a lab asks for is the one it gets: a pod's start takes the profile's pod
// start time (so the density test's start-up quantiles mean something), and a running sandbox
// switches profile only while no cluster is up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { LatencyProfile } from '../../sandbox/cloud/latency.js';
import { ProfileInUse, up } from '../../sandbox/sandbox.js';
import { awaitRunningPods, deploy } from '../helpers/pods.js';
import { createTestCluster, deleteTestCluster, gatewayAdmin, unique } from '../helpers/sandbox.js';

const labId = unique('podstart');
const podStart = { podStartMs: 3_000, podStartJitterMs: 6_000 };
let kc: KubeConfig;
let clusterUp = false;

before(async () => {
  const running = await gatewayAdmin<LatencyProfile>('GET', 'profile');
  await gatewayAdmin('PUT', 'profile', { ...running, ...podStart });
  try {
    ({ kc } = await createTestCluster(labId, 1));
    clusterUp = true;
  } finally {
    // The cluster keeps the pod start time it was made with; the rest of the suite runs as before.
    await gatewayAdmin('PUT', 'profile', running);
  }
});
after(async () => {
  if (clusterUp) await deleteTestCluster(labId);
});

const conditionTime = (pod: V1Pod, type: string): number =>
  Date.parse(String(pod.status?.conditions?.find((c) => c.type === type)?.lastTransitionTime));

test("a pod starts the profile's pod start time after it was scheduled", async () => {
  await deploy(kc, 'slow-start', 3);
  const pods = await awaitRunningPods(kc, 'slow-start', 3, 120_000);
  for (const pod of pods) {
    const startMs = conditionTime(pod, 'Ready') - conditionTime(pod, 'PodScheduled');
    // Timestamps have whole seconds: a 3 s start can read as 2 s and a bit.
    assert.ok(startMs >= podStart.podStartMs - 1_000, `${pod.metadata?.name} Ready ${startMs} ms after scheduled`);
  }
});

test('a running sandbox does not change profile while a cluster is up, and says why', async () => {
  await assert.rejects(up({ profile: 'realistic', print: () => undefined }), (err: Error) => {
    assert.ok(err instanceof ProfileInUse);
    assert.match(err.message, new RegExp(`uses the fast latency profile .*${labId}`));
    return true;
  });
  assert.equal((await gatewayAdmin<LatencyProfile>('GET', 'profile')).name, 'fast');
});

test('with no cluster up, the profile asked for is the one the sandbox runs', async () => {
  await deleteTestCluster(labId);
  clusterUp = false;
  const lines: string[] = [];
  try {
    await up({ profile: 'realistic', print: (l) => lines.push(l) });
    assert.equal((await gatewayAdmin<LatencyProfile>('GET', 'profile')).name, 'realistic');
    assert.ok(
      lines.some((l) => /from the fast to the realistic latency profile/.test(l)),
      lines.join('\n'),
    );
  } finally {
    await up({ profile: 'fast', print: () => undefined });
  }
  assert.equal((await gatewayAdmin<LatencyProfile>('GET', 'profile')).name, 'fast');
});
