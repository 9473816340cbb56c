// The sandbox's control planes are supervised, as EKS's is: a component that exits (killed, or
// kube-controller-manager and kube-scheduler giving up after an API server restart) is started
// again, and the cluster goes on scheduling pods; what EKS does beside the API server (a node
// group's instances) does not wait for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeleteNodegroupCommand, DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { clusterDir, exitedComponents, kwokName } from '../../sandbox/cloud/kwok.js';
import { awaitRunningPods, deploy } from '../helpers/pods.js';
import { aws, createTestCluster, deleteTestCluster, eventually, unique } from '../helpers/sandbox.js';

const labId = unique('cp');
let kc: KubeConfig;

before(async () => {
  ({ kc } = await createTestCluster(labId, 1));
});
after(() => deleteTestCluster(labId));

const pidOf = (component: string): number =>
  Number(readFileSync(join(clusterDir(kwokName(labId)), 'pids', `${component}.pid`), 'utf8'));

/** Signals the components, in order, and waits until each runs again under a new pid. */
async function killAndAwaitRestart(signals: [component: string, signal: NodeJS.Signals][]): Promise<void> {
  const components = signals.map(([component]) => component);
  const killed = signals.map(([component, signal]) => {
    const pid = pidOf(component);
    process.kill(pid, signal);
    return { component, pid };
  });
  await eventually(
    `${components.join(', ')} started again`,
    async () =>
      killed.every(({ component, pid }) => pidOf(component) !== pid) && exitedComponents(kwokName(labId)).length === 0
        ? true
        : undefined,
    90_000,
  );
}

test('a killed kube-scheduler and kube-controller-manager are started again, and pods get scheduled', async () => {
  await killAndAwaitRestart([
    ['kube-scheduler', 'SIGKILL'],
    ['kube-controller-manager', 'SIGKILL'],
  ]);
  await deploy(kc, 'after-scheduler-kill', 2);
  await awaitRunningPods(kc, 'after-scheduler-kill', 2);
});

// The order of a real restart: the API server shuts down (SIGTERM) and the components that lose it
// exit before it has, so they are started again while it is still going.
test('a stopped kube-apiserver is started again, and the cluster goes on scheduling pods', async () => {
  await killAndAwaitRestart([
    ['kube-apiserver', 'SIGTERM'],
    ['kube-scheduler', 'SIGKILL'],
    ['kube-controller-manager', 'SIGKILL'],
  ]);
  await eventually('API server answers', () =>
    kc
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .then(
        () => true,
        () => undefined,
      ),
  );
  await deploy(kc, 'after-apiserver-kill', 2);
  await awaitRunningPods(kc, 'after-apiserver-kill', 2);
  assert.deepEqual(exitedComponents(kwokName(labId)), []);
});

// EKS terminates a deleted node group's instances whatever its drain through the API server came
// to: a node group deleted while the API server is away must not leave instances (and their ENIs,
// which keep the subnets, and so the network stack, from being deleted).
test('a node group deleted while the API server is down still terminates its instances', async () => {
  const nodegroupName = `${labId}-ng`;
  const nodeInstances = async (state: string): Promise<string[]> => {
    const { Reservations = [] } = await aws.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:eks:nodegroup-name', Values: [nodegroupName] },
          { Name: 'instance-state-name', Values: [state] },
        ],
      }),
    );
    return Reservations.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
  };
  const running = await nodeInstances('running');
  assert.equal(running.length, 1);
  process.kill(pidOf('kube-apiserver'), 'SIGKILL');
  await aws.eks.send(new DeleteNodegroupCommand({ clusterName: labId, nodegroupName }));
  await eventually('node group gone', () =>
    aws.eks.send(new DescribeNodegroupCommand({ clusterName: labId, nodegroupName })).then(
      () => undefined,
      (err: Error) => (err.name === 'ResourceNotFoundException' ? true : undefined),
    ),
  );
  assert.deepEqual(await nodeInstances('terminated'), running);
});
