// The VPC CNI's IP address management (ipamd), as EKS runs it on every node: a pod on the pod
// network gets a secondary private IPv4 address of an ENI attached to its node's instance, in
// EC2 (EKS user guide, "Assign IPs to Pods with the Amazon VPC CNI"; amazon-vpc-cni-k8s
// docs/eni-and-ip-target.md). The primary ENI's slots are used first; when they are full ipamd
// creates another ENI in the node's subnet with the primary ENI's security groups and attaches
// it, up to the instance type's maximum ENIs, each holding IPv4-per-ENI − 1 pod addresses (one is
// the ENI's own primary address). When a pod is gone its address is unassigned, and an extra ENI
// left with no pod addresses is detached and deleted, as ipamd returns ENIs above its warm target
// (this models WARM_ENI_TARGET=0 with WARM_IP_TARGET=1: no spare ENI is kept, so every ENI in
// EC2 holds a pod). The address is written to the pod's `vpc.amazonaws.com/pod-ips` annotation
// (the CNI's ANNOTATE_POD_IP), from which KWOK's pod stage sets status.podIP (kwok-stages.ts).
// ipamd (the aws-node DaemonSet) calls EC2 through the gateway as AWS sees it: with the node's
// instance role (its AmazonEKS_CNI_Policy), or the IRSA role of the aws-node service account
// when it has one (EKS User Guide, "Configure Amazon VPC CNI plugin to use IRSA"). So IAM checks,
// throttling, faults and paging apply to it; a node role without the policy leaves pods without
// addresses, as on EKS. Like ipamd it asks for a node's addresses in one call per ENI
// (AssignPrivateIpAddresses with SecondaryPrivateIpAddressCount), and EC2 picks them.
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  paginateDescribeNetworkInterfaces,
  UnassignPrivateIpAddressesCommand,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { endpoints, sandboxRegion } from '../config.js';
import { cniEniDescription } from './ec2.js';
import { irsaClientOptions, serviceAccountRoleArn } from './irsa.js';
import { nodeIdentityOf, type InstanceRoleCredentials } from './node-role.js';
import { ClusterWatcher } from './reconcile.js';

export const podIpsAnnotation = 'vpc.amazonaws.com/pod-ips';

/** The service account the aws-node DaemonSet runs as. */
const cniServiceAccount = { namespace: 'kube-system', name: 'aws-node' };

/** Tags the VPC CNI puts on the ENIs it creates; the description (cniEniDescription) names the instance. */
const cniTags = (instanceId: string, cluster: string): { Key: string; Value: string }[] => [
  { Key: 'node.k8s.amazonaws.com/instance_id', Value: instanceId },
  { Key: 'cluster.k8s.amazonaws.com/name', Value: cluster },
  { Key: 'node.k8s.amazonaws.com/createdAt', Value: new Date().toISOString() },
];

interface Limits {
  maxEnis: number;
  ipv4PerEni: number;
}

const secondaries = (eni: NetworkInterface): string[] =>
  (eni.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!);

/** The instance's ENIs, every page, primary (device index 0) first. */
async function instanceEnis(ec2: EC2Client, instanceId: string): Promise<NetworkInterface[]> {
  const enis: NetworkInterface[] = [];
  const pages = paginateDescribeNetworkInterfaces(
    { client: ec2 },
    { Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] },
  );
  for await (const page of pages) enis.push(...(page.NetworkInterfaces ?? []));
  return enis.sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
}

/** A node as ipamd knows it: its name, instance and instance type. */
interface Node {
  name: string;
  instanceId: string;
  instanceType: string;
}

interface ClusterEntry {
  kc: KubeConfig;
  /** Pod addresses the sandbox assigned and has not yet freed: address → its ENI and node. */
  assigned: Map<string, { eni: string; node: string }>;
  loaded: boolean;
  /** Each node's ipamd EC2 client, by node name. */
  clients: Map<string, EC2Client>;
}

export class VpcCniIpam extends ClusterWatcher<ClusterEntry> {
  private readonly limits = new Map<string, Limits>();

  constructor(
    private readonly instanceRoleCredentials: InstanceRoleCredentials,
    log: (line: string) => void,
  ) {
    super('VPC CNI', 250, log);
  }

  watch(cluster: string, kc: KubeConfig): void {
    this.watchWith(cluster, { kc, assigned: new Map(), loaded: false, clients: new Map() });
  }

  protected override release(_cluster: string, entry: ClusterEntry): void {
    for (const client of entry.clients.values()) client.destroy();
  }

  protected async reconcile(cluster: string, entry: ClusterEntry): Promise<void> {
    const core = entry.kc.makeApiClient(CoreV1Api);
    const [pods, nodeList] = await Promise.all([core.listPodForAllNamespaces(), core.listNode()]);
    const nodes = new Map(
      nodeList.items
        .map((n) => ({
          name: n.metadata!.name!,
          instanceId: n.spec?.providerID?.split('/').pop() ?? '',
          instanceType: n.metadata?.labels?.['node.kubernetes.io/instance-type'] ?? '',
        }))
        .filter((n) => n.instanceId)
        .map((n) => [n.name, n] as const),
    );
    if (!entry.loaded) {
      // After a restart of the sandbox the pods' annotations and EC2 say what is assigned.
      for (const node of nodes.values()) {
        const ec2 = await this.client(cluster, entry, node.name);
        for (const eni of await instanceEnis(ec2, node.instanceId))
          for (const ip of secondaries(eni)) entry.assigned.set(ip, { eni: eni.NetworkInterfaceId!, node: node.name });
      }
      entry.loaded = true;
    }
    // A node that is gone took its ENIs and its ipamd with it: nothing of it is left to free.
    for (const [ip, { node }] of entry.assigned) if (!nodes.has(node)) entry.assigned.delete(ip);
    for (const [name, client] of entry.clients)
      if (!nodes.has(name)) {
        client.destroy();
        entry.clients.delete(name);
      }
    // A terminating pod keeps its address until it is gone, as the CNI frees it at sandbox teardown.
    const inUse = new Set(pods.items.map((p) => p.metadata?.annotations?.[podIpsAnnotation]).filter(Boolean));
    const unused = [...entry.assigned.keys()].filter((ip) => !inUse.has(ip));
    if (unused.length > 0) await this.free(cluster, entry, unused);
    const waiting = pods.items
      .filter(
        (p) =>
          p.spec?.nodeName &&
          !p.spec.hostNetwork &&
          !p.metadata?.deletionTimestamp &&
          !p.metadata?.annotations?.[podIpsAnnotation] &&
          nodes.has(p.spec.nodeName),
      )
      .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
    // Each node's ipamd works on its own: nodes at once, a node's pods in one go, oldest first.
    const byNode = new Map<string, V1Pod[]>();
    for (const pod of waiting) byNode.set(pod.spec!.nodeName!, [...(byNode.get(pod.spec!.nodeName!) ?? []), pod]);
    await Promise.all(
      [...byNode].map(async ([name, waitingPods]) => {
        const node = nodes.get(name)!;
        const ips = await this.assign(cluster, entry, node, waitingPods.length);
        for (const [i, pod] of waitingPods.entries()) {
          const ip = ips[i];
          if (ip) await this.annotate(core, pod, ip);
          else
            this.log(
              `VPC CNI of ${cluster}: no free IP address on ${name} for ${pod.metadata!.namespace}/${pod.metadata!.name}`,
            );
        }
      }),
    );
  }

  /**
   * The node's ipamd client: through the gateway, with the aws-node service account's IRSA role
   * when it has one, else the node's instance role (found again whenever the SDK needs credentials).
   */
  private async client(cluster: string, entry: ClusterEntry, nodeName: string): Promise<EC2Client> {
    const known = entry.clients.get(nodeName);
    if (known) return known;
    const { namespace, name } = cniServiceAccount;
    const irsa = await serviceAccountRoleArn(entry.kc, namespace, name).catch(() => undefined);
    const client = new EC2Client(
      irsa
        ? { ...(await irsaClientOptions(entry.kc, namespace, name)), maxAttempts: 5 }
        : {
            endpoint: endpoints.gateway,
            region: sandboxRegion,
            maxAttempts: 5,
            credentials: async () => {
              const identity = await nodeIdentityOf(entry.kc, cluster, nodeName);
              if (!identity) throw new Error(`no credentials: node ${nodeName} has no instance role`);
              return this.instanceRoleCredentials(identity);
            },
          },
    );
    entry.clients.set(nodeName, client);
    return client;
  }

  private async instanceLimits(ec2: EC2Client, instanceType: string): Promise<Limits> {
    const known = this.limits.get(instanceType);
    if (known) return known;
    const { InstanceTypes = [] } = await ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as never] }),
    );
    const net = InstanceTypes[0]?.NetworkInfo;
    const limits = { maxEnis: net?.MaximumNetworkInterfaces ?? 1, ipv4PerEni: net?.Ipv4AddressesPerInterface ?? 1 };
    this.limits.set(instanceType, limits);
    return limits;
  }

  /**
   * Up to `wanted` more pod addresses on the node: the free slots of its ENIs first, one call per
   * ENI, then new ENIs while the instance type allows; fewer when every slot is taken.
   */
  private async assign(cluster: string, entry: ClusterEntry, node: Node, wanted: number): Promise<string[]> {
    const ec2 = await this.client(cluster, entry, node.name);
    const { maxEnis, ipv4PerEni } = await this.instanceLimits(ec2, node.instanceType);
    const enis = await instanceEnis(ec2, node.instanceId);
    const primary = enis[0];
    if (!primary) throw new Error(`instance ${node.instanceId} has no ENI`);
    const ips: string[] = [];
    const fill = async (eni: NetworkInterface, held: number): Promise<void> => {
      const count = Math.min(ipv4PerEni - 1 - held, wanted - ips.length);
      if (count <= 0) return;
      const { AssignedPrivateIpAddresses = [] } = await ec2.send(
        new AssignPrivateIpAddressesCommand({
          NetworkInterfaceId: eni.NetworkInterfaceId,
          SecondaryPrivateIpAddressCount: count,
        }),
      );
      for (const { PrivateIpAddress: ip } of AssignedPrivateIpAddresses) {
        ips.push(ip!);
        entry.assigned.set(ip!, { eni: eni.NetworkInterfaceId!, node: node.name });
      }
    };
    for (const eni of enis) await fill(eni, secondaries(eni).length);
    let deviceIndex = Math.max(...enis.map((e) => e.Attachment?.DeviceIndex ?? 0)) + 1;
    for (let count = enis.length; ips.length < wanted && count < maxEnis; count++)
      await fill(await this.attachEni(ec2, cluster, node.instanceId, primary, deviceIndex++), 0);
    return ips;
  }

  private async attachEni(
    ec2: EC2Client,
    cluster: string,
    instanceId: string,
    primary: NetworkInterface,
    deviceIndex: number,
  ): Promise<NetworkInterface> {
    const { NetworkInterface: created } = await ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: primary.SubnetId,
        Groups: (primary.Groups ?? []).map((g) => g.GroupId!),
        Description: `${cniEniDescription}${instanceId}`,
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: cniTags(instanceId, cluster) }],
      }),
    );
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created!.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: deviceIndex,
      }),
    );
    this.log(
      `VPC CNI of ${cluster}: ${created!.NetworkInterfaceId} attached to ${instanceId} as device ${deviceIndex}`,
    );
    return created!;
  }

  private async free(cluster: string, entry: ClusterEntry, ips: string[]): Promise<void> {
    const byEni = new Map<string, { node: string; addresses: string[] }>();
    for (const ip of ips) {
      const { eni, node } = entry.assigned.get(ip)!;
      const group = byEni.get(eni) ?? { node, addresses: [] };
      group.addresses.push(ip);
      byEni.set(eni, group);
    }
    for (const [eniId, { node, addresses }] of byEni) {
      const ec2 = await this.client(cluster, entry, node);
      await ec2
        .send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: addresses }))
        .catch((err: Error) => {
          // The ENI went with its instance (node group deleted): nothing is left to free.
          if (!/InvalidNetworkInterfaceID/.test(err.name)) throw err;
        });
      for (const ip of addresses) entry.assigned.delete(ip);
      if (await releaseIfEmpty(ec2, eniId))
        this.log(`VPC CNI of ${cluster}: ${eniId} held no pod address: detached and deleted`);
    }
  }

  private async annotate(core: CoreV1Api, pod: V1Pod, ip: string): Promise<void> {
    const { name, namespace, annotations } = pod.metadata!;
    const body = annotations
      ? [{ op: 'add', path: `/metadata/annotations/${podIpsAnnotation.replace('/', '~1')}`, value: ip }]
      : [{ op: 'add', path: '/metadata/annotations', value: { [podIpsAnnotation]: ip } }];
    await core.patchNamespacedPod({ name: name!, namespace: namespace!, body }).catch((err: { code?: number }) => {
      if (err.code !== 404) throw err; // a pod deleted meanwhile frees its address next round
    });
  }
}

/** Detaches and deletes an extra ENI (not an instance's primary) that holds no pod address. */
async function releaseIfEmpty(ec2: EC2Client, eniId: string): Promise<boolean> {
  const { NetworkInterfaces = [] } = await ec2
    .send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))
    .catch(() => ({ NetworkInterfaces: [] }));
  const eni = NetworkInterfaces[0];
  if (!eni || secondaries(eni).length > 0 || (eni.Attachment?.DeviceIndex ?? 0) === 0) return false;
  if (eni.Attachment?.AttachmentId)
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment.AttachmentId }));
  await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
  return true;
}
