// LAB.md phase 4: the pod-density scale test. The VPC CNI gives each node
// MaxENI × (IPv4 per ENI − 1) + 2 pods; nginx scaled past the free capacity leaves the rest
// Pending with the scheduler's "Too many pods". Pod start-up latency as kube-burner reports it.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { DensityResult } from '../../lab/report.js';
import { quantiles } from '../../lab/report.js';
import type { LabSpec } from '../../lab/spec.js';
import type { InstanceLimits } from '../ec2.js';
import { labTag } from '../cloudformation.js';
import { classifying } from '../errors.js';
import { applyObjects, deleteObjects } from '../kube-apply.js';
import { deploymentObject, isRunningReady, labNamespace, namespaceObject, podsOf } from '../kube.js';
import { kubeChanges } from '../kube-watch.js';
import { waitFor } from '../poll.js';
import { labNodes } from './nodes.js';

export const densityApp = 'nginx-density';

const condition = (p: V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
const unschedulable = (p: V1Pod): boolean => condition(p, 'PodScheduled')?.reason === 'Unschedulable';

/** The scheduler's reason in a person's words: "0/3 nodes are available: 3 Too many pods." → "Too many pods". */
function pendingReason(p: V1Pod): string {
  const message = condition(p, 'PodScheduled')?.message ?? 'unknown';
  return /Too many pods/.test(message) ? 'Too many pods' : message.replace(/^0\/\d+ nodes are available: /, '');
}

const since = (from: Date | undefined, to: Date | undefined): number | undefined =>
  from && to ? new Date(to).getTime() - new Date(from).getTime() : undefined;

export async function podDensity(kc: KubeConfig, spec: LabSpec, limits: InstanceLimits): Promise<DensityResult> {
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = await labNodes(kc);
  // System pods are every pod on the nodes that is not the lab's own: counted by the lab's label,
  // so a retried attempt does not count the pods its previous attempt left as system pods.
  const { items: all } = await classifying('list pods', () => core.listPodForAllNamespaces());
  const systemPods = all.filter(
    (p) =>
      p.spec?.nodeName &&
      !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') &&
      p.metadata?.labels?.[labTag] !== spec.labId,
  ).length;
  const capacity = nodes.reduce((sum, n) => sum + n.allocatablePods, 0);
  const expectedFreeCapacity = capacity - systemPods;

  await applyObjects(kc, [
    namespaceObject(spec.labId),
    deploymentObject(spec.labId, densityApp, 'nginx:alpine', spec.replicas),
  ]);
  let running = 0;
  let pending = 0;
  const pods = await waitFor(
    `${spec.replicas} nginx pods Running or refused by the scheduler`,
    async () => {
      const all = await podsOf(kc, densityApp);
      running = all.filter(isRunningReady).length;
      pending = all.filter(unschedulable).length;
      return all.length === spec.replicas && running + pending === spec.replicas ? all : undefined;
    },
    {
      timeoutMs: 15 * 60_000,
      intervalMs: 1000,
      describe: () => `pods Running ${running}, Pending ${pending} of ${spec.replicas}`,
      changes: kubeChanges(kc, `/api/v1/namespaces/${labNamespace}/pods`, `app=${densityApp}`),
    },
  );
  const runningPods = pods.filter(isRunningReady);
  const pendingReasons: Record<string, number> = {};
  for (const p of pods.filter(unschedulable))
    pendingReasons[pendingReason(p)] = (pendingReasons[pendingReason(p)] ?? 0) + 1;
  const runningPerNode: Record<string, number> = {};
  for (const p of runningPods) runningPerNode[p.spec!.nodeName!] = (runningPerNode[p.spec!.nodeName!] ?? 0) + 1;
  const latency = (type: string): number[] =>
    runningPods
      .map((p) => since(p.metadata?.creationTimestamp, condition(p, type)?.lastTransitionTime))
      .filter((v): v is number => v !== undefined);

  await deleteDensityWorkload(kc, spec.labId);
  return {
    instanceType: limits.instanceType,
    maxEnis: limits.maxEnis,
    ipv4PerEni: limits.ipv4PerEni,
    expectedMaxPodsPerNode: limits.maxPods,
    allocatablePodsPerNode: Object.fromEntries(nodes.map((n) => [n.name, n.allocatablePods])),
    systemPods,
    expectedFreeCapacity,
    replicas: spec.replicas,
    running: runningPods.length,
    pending: pods.filter(unschedulable).length,
    pendingReasons,
    runningPerNode,
    scheduledLatencyMs: quantiles(latency('PodScheduled')),
    readyLatencyMs: quantiles(latency('Ready')),
  };
}

/** Scales the test back and deletes it, waiting until its pods are gone. */
export async function deleteDensityWorkload(kc: KubeConfig, labId: string): Promise<void> {
  await deleteObjects(kc, [deploymentObject(labId, densityApp, 'nginx:alpine', 0)]);
  await waitFor('density pods gone', async () => ((await podsOf(kc, densityApp)).length === 0 ? true : undefined), {
    timeoutMs: 10 * 60_000,
    changes: kubeChanges(kc, `/api/v1/namespaces/${labNamespace}/pods`, `app=${densityApp}`),
  });
}
