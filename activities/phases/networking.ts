// LAB.md phase 3: the VPC CNI at work. Add-on versions, kube-proxy's mode, each node's ENIs and
// secondary IPs, and for every pod the node and ENI that hold its IP — the facts the write-up
// dug out over SSH, read here from the EKS, EC2 and Kubernetes APIs.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NetworkingResult, NetworkOutputs, PodPlacement } from '../../lab/report.js';
import { cidrContains } from '../../lab/spec.js';
import { nodeEnis } from '../ec2.js';
import { classifying } from '../errors.js';
import type { Target } from '../target.js';
import { labNodes } from './nodes.js';

export async function verifyNetworking(
  target: Target,
  kc: KubeConfig,
  network: NetworkOutputs,
  addons: NetworkingResult['addons'],
): Promise<NetworkingResult> {
  const core = kc.makeApiClient(CoreV1Api);
  const config = await classifying('read kube-proxy config', () =>
    core.readNamespacedConfigMap({ name: 'kube-proxy-config', namespace: 'kube-system' }),
  );
  const kubeProxyMode = /^mode:\s*"?([a-z]*)"?/m.exec(config.data?.config ?? '')?.[1] || 'iptables';
  const nodes = await labNodes(kc);
  const enis = await nodeEnis(target, Object.fromEntries(nodes.map((n) => [n.instanceId, n.name])));
  const { items } = await classifying('list pods', () => core.listPodForAllNamespaces());
  const pods: PodPlacement[] = items
    .filter((p) => p.status?.podIP && p.spec?.nodeName)
    .map((p) => {
      const ip = p.status!.podIP!;
      const eni = enis.find((e) => e.secondaryIps.includes(ip) || (p.spec?.hostNetwork && e.primaryIp === ip));
      return {
        pod: p.metadata!.name!,
        namespace: p.metadata!.namespace!,
        ip,
        node: p.spec!.nodeName!,
        hostNetwork: p.spec?.hostNetwork ?? false,
        eniId: eni?.eniId,
        inVpc: cidrContains(network.vpcCidr, `${ip}/32`),
      };
    })
    .sort((a, b) => a.node.localeCompare(b.node) || a.pod.localeCompare(b.pod));
  return {
    addons,
    kubeProxyMode,
    enis,
    pods,
    podsOutsideVpc: pods.filter((p) => !p.inVpc).length,
    podsOnNoEni: pods.filter((p) => !p.eniId).length,
  };
}
