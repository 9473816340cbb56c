// The lab's iperf3 phase against the sandbox: pods on two nodes of an EKS cluster made through
// the gateway, four tests run by a real exec through the API server (KWOK runs the client on
// this machine, against the iperf3 server the sandbox runs for the server pod), and a cleanup
// that leaves neither pods nor server processes behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deleteIperf3, runIperf3 } from '../../activities/iperf3.js';
import { kwokName, podStateDir } from '../../sandbox/cloud/kwok.js';
import { createTestCluster, deleteTestCluster, eventually, unique } from '../helpers/sandbox.js';

const labId = unique('iperf');
const namespace = 'netlab';
let kc: KubeConfig;
let core: CoreV1Api;

/** The pids of the iperf3 servers the sandbox runs for this cluster (their pid files are its). */
function serverPids(): string[] {
  const pattern = `iperf3 -s .*${podStateDir(kwokName(labId))}/`;
  const found = spawnSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

before(async () => {
  ({ kc } = await createTestCluster(labId, 2));
  core = kc.makeApiClient(CoreV1Api);
  // Ready, and past the not-ready taint the node controller lifts a moment later (as iperf3 picks nodes).
  await eventually('2 Ready, untainted nodes', async () => {
    const ready = (await core.listNode()).items.filter(
      (n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
    );
    return ready.length === 2 ? true : undefined;
  });
});

after(async () => {
  await deleteTestCluster(labId);
});

test('iperf3 measures TCP, UDP, bidirectional and parallel throughput between pods on two nodes', async (t) => {
  const heartbeats: string[] = [];
  const result = await runIperf3(kc, {
    namespace,
    labId,
    seconds: 2,
    parallel: 2,
    udpBandwidth: '1G',
    heartbeat: (detail) => heartbeats.push(detail),
  });
  for (const r of result.tests) {
    const extra =
      r.protocol === 'udp'
        ? `jitter ${r.jitterMs} ms, lost ${r.lostPercent}%`
        : `retransmits ${r.retransmits ?? 'n/a'}`;
    t.diagnostic(`${r.name}: ${r.gbps} Gbit/s (${extra})`);
  }
  assert.notEqual(result.serverNode, result.clientNode);
  assert.deepEqual(
    result.tests.map((r) => [r.name, r.protocol]),
    [
      ['tcp', 'tcp'],
      ['udp', 'udp'],
      ['bidirectional', 'tcp'],
      ['parallel', 'tcp'],
    ],
  );
  for (const r of result.tests) assert.ok(r.gbps > 0, `${r.name} measured ${r.gbps} Gbit/s`);
  const udp = result.tests.find((r) => r.name === 'udp')!;
  assert.equal(typeof udp.jitterMs, 'number');
  assert.equal(typeof udp.lostPercent, 'number');
  for (const r of result.tests.filter((x) => x.protocol === 'tcp')) assert.equal(typeof r.retransmits, 'number');
  assert.ok(heartbeats.length > 0, 'runIperf3 tells what it waits for');

  const pods = (await core.listNamespacedPod({ namespace, labelSelector: `netlab.io/lab-id=${labId}` })).items;
  const nodeOf = Object.fromEntries(pods.map((p) => [p.metadata!.labels!.app, p.spec!.nodeName]));
  assert.deepEqual(nodeOf, { 'iperf3-server': result.serverNode, 'iperf3-client': result.clientNode });
  assert.equal(serverPids().length, 1, 'the sandbox runs one iperf3 server, for the server pod');
});

test('deleteIperf3 removes the pods, the sandbox stops their server, and a second delete is harmless', async () => {
  await deleteIperf3(kc, namespace, labId);
  const left = await core.listNamespacedPod({ namespace, labelSelector: `netlab.io/lab-id=${labId}` });
  assert.equal(left.items.length, 0);
  await eventually('no iperf3 server of this cluster', async () => (serverPids().length === 0 ? true : undefined));
  await deleteIperf3(kc, namespace, labId);
  await deleteIperf3(kc, 'no-such-namespace', labId);
});
