// LAB.md phase 2: the node group's nodes registered and Ready, one per zone.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { NodeRecord } from '../../lab/report.js';
import type { LabSpec } from '../../lab/spec.js';
import { classifying, nonRetryableFailure } from '../errors.js';
import { kubeChanges } from '../kube-watch.js';
import { waitFor } from '../poll.js';

const isReady = (n: V1Node): boolean =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export function nodeRecord(n: V1Node): NodeRecord {
  const labels = n.metadata?.labels ?? {};
  return {
    name: n.metadata!.name!,
    zone: labels['topology.kubernetes.io/zone'] ?? '',
    // providerID is aws:///<zone>/<instance id>
    instanceId: n.spec?.providerID?.split('/').pop() ?? '',
    instanceType: labels['node.kubernetes.io/instance-type'] ?? '',
    internalIp: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    ready: isReady(n),
    allocatablePods: Number(n.status?.allocatable?.pods ?? 0),
  };
}

export async function labNodes(kc: KubeConfig): Promise<NodeRecord[]> {
  const { items } = await classifying('list nodes', () => kc.makeApiClient(CoreV1Api).listNode());
  return items.map(nodeRecord).sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name));
}

/** What EKS and its add-ons run in kube-system: the VPC CNI (aws-node), kube-proxy and coredns. */
const eksSystemWorkloads = ['aws-node', 'kube-proxy', 'coredns'];

export async function waitForNodes(kc: KubeConfig, spec: LabSpec): Promise<NodeRecord[]> {
  let ready = 0;
  const nodes = await waitFor(
    `${spec.nodes} nodes Ready`,
    async () => {
      const all = await labNodes(kc);
      ready = all.filter((n) => n.ready).length;
      return ready >= spec.nodes ? all.filter((n) => n.ready) : undefined;
    },
    {
      timeoutMs: 20 * 60_000,
      intervalMs: 1000,
      describe: () => `nodes Ready ${ready}/${spec.nodes}`,
      changes: kubeChanges(kc, '/api/v1/nodes'),
    },
  );
  // The nodes are only usable once EKS's own pods run on them: aws-node and kube-proxy on each,
  // and coredns. Until then the capacity left for the lab is not yet known. Only those: the load
  // balancer controller's release comes up beside this wait and is waited for by its own phase.
  const apps = kc.makeApiClient(AppsV1Api);
  const eksOwn = (o: { metadata?: { name?: string } }): boolean => eksSystemWorkloads.includes(o.metadata?.name ?? '');
  let system = '';
  await waitFor(
    'system pods (aws-node, kube-proxy, coredns) ready',
    async () => {
      const [daemonSets, deployments] = await Promise.all([
        apps.listNamespacedDaemonSet({ namespace: 'kube-system' }),
        apps.listNamespacedDeployment({ namespace: 'kube-system' }),
      ]);
      const waiting = [
        ...daemonSets.items
          .filter(eksOwn)
          .filter((d) => (d.status?.numberReady ?? 0) < (d.status?.desiredNumberScheduled ?? 1)),
        ...deployments.items.filter(eksOwn).filter((d) => (d.status?.readyReplicas ?? 0) < (d.spec?.replicas ?? 1)),
      ].map((o) => o.metadata!.name!);
      system = waiting.join(', ');
      return waiting.length === 0 ? true : undefined;
    },
    {
      timeoutMs: 10 * 60_000,
      intervalMs: 1000,
      describe: () => `waiting for ${system}`,
      changes: kubeChanges(kc, [
        '/apis/apps/v1/namespaces/kube-system/daemonsets',
        '/apis/apps/v1/namespaces/kube-system/deployments',
      ]),
    },
  );
  const zones = new Set(nodes.map((n) => n.zone));
  if (zones.size < Math.min(spec.nodes, 3)) {
    throw nonRetryableFailure(`nodes are not spread over the zones: ${[...zones].join(', ')}`, 'NodesNotSpread');
  }
  return nodes;
}
