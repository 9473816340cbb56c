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
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  UnassignPrivateIpAddressesCommand,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { moto } from './aws.js';
import { cniEniDescription } from './ec2.js';
import { ClusterWatcher } from './reconcile.js';

export const podIpsAnnotation = 'vpc.amazonaws.com/pod-ips';

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

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const secondaries = (eni: NetworkInterface): string[] =>
  (eni.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!);

/** The instance's ENIs in moto, primary (device index 0) first. */
async function instanceEnis(instanceId: string): Promise<NetworkInterface[]> {
  const { NetworkInterfaces = [] } = await moto.ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
  );
  return NetworkInterfaces.sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
}

interface ClusterEntry {
  kc: KubeConfig;
  /** Pod addresses the sandbox assigned and has not yet freed: address → ENI. */
  assigned: Map<string, string>;
  loaded: boolean;
}

export class VpcCniIpam extends ClusterWatcher<ClusterEntry> {
  private readonly limits = new Map<string, Limits>();

  constructor(log: (line: string) => void) {
    super('VPC CNI', 250, log);
  }

  watch(cluster: string, kc: KubeConfig): void {
    this.watchWith(cluster, { kc, assigned: new Map(), loaded: false });
  }

  protected async reconcile(cluster: string, entry: ClusterEntry): Promise<void> {
    const core = entry.kc.makeApiClient(CoreV1Api);
    const [pods, nodes] = await Promise.all([core.listPodForAllNamespaces(), core.listNode()]);
    const instanceOf = new Map(
      nodes.items.map((n) => [n.metadata!.name!, n.spec?.providerID?.split('/').pop() ?? ''] as const),
    );
    const typeOf = new Map(
      nodes.items.map((n) => [n.metadata!.name!, n.metadata?.labels?.['node.kubernetes.io/instance-type'] ?? '']),
    );
    if (!entry.loaded) {
      // After a restart of the sandbox the pods' annotations and EC2 say what is assigned.
      for (const instanceId of new Set(instanceOf.values())) {
        if (!instanceId) continue;
        for (const eni of await instanceEnis(instanceId))
          for (const ip of secondaries(eni)) entry.assigned.set(ip, eni.NetworkInterfaceId!);
      }
      entry.loaded = true;
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
          instanceOf.get(p.spec.nodeName),
      )
      .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
    // Each node's ipamd works on its own: nodes at once, pods of one node in order. Addresses
    // picked in this pass are reserved, since nodes may share a subnet.
    const reserved = new Set<string>();
    const byNode = new Map<string, V1Pod[]>();
    for (const pod of waiting) byNode.set(pod.spec!.nodeName!, [...(byNode.get(pod.spec!.nodeName!) ?? []), pod]);
    await Promise.all(
      [...byNode].map(async ([node, pods]) => {
        for (const pod of pods) {
          const ip = await this.assign(cluster, entry, instanceOf.get(node)!, typeOf.get(node)!, reserved);
          if (!ip) {
            this.log(
              `VPC CNI of ${cluster}: no free IP address on ${node} for ${pod.metadata!.namespace}/${pod.metadata!.name}`,
            );
            continue;
          }
          await this.annotate(core, pod, ip);
        }
      }),
    );
  }

  private async instanceLimits(instanceType: string): Promise<Limits> {
    const known = this.limits.get(instanceType);
    if (known) return known;
    const { InstanceTypes = [] } = await moto.ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as never] }),
    );
    const net = InstanceTypes[0]?.NetworkInfo;
    const limits = { maxEnis: net?.MaximumNetworkInterfaces ?? 1, ipv4PerEni: net?.Ipv4AddressesPerInterface ?? 1 };
    this.limits.set(instanceType, limits);
    return limits;
  }

  /** Assigns one more pod address on the instance; undefined when every ENI slot is taken. */
  private async assign(
    cluster: string,
    entry: ClusterEntry,
    instanceId: string,
    instanceType: string,
    reserved: Set<string>,
  ): Promise<string | undefined> {
    const limits = await this.instanceLimits(instanceType);
    const enis = await instanceEnis(instanceId);
    const primary = enis[0];
    if (!primary) throw new Error(`instance ${instanceId} has no ENI`);
    let eni = enis.find((e) => secondaries(e).length < limits.ipv4PerEni - 1);
    if (!eni && enis.length < limits.maxEnis) eni = await this.attachEni(cluster, instanceId, primary, enis, reserved);
    if (!eni) return undefined;
    const ip = await this.freeAddress(eni.SubnetId!, reserved);
    await moto.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIpAddresses: [ip] }),
    );
    entry.assigned.set(ip, eni.NetworkInterfaceId!);
    return ip;
  }

  private async attachEni(
    cluster: string,
    instanceId: string,
    primary: NetworkInterface,
    enis: NetworkInterface[],
    reserved: Set<string>,
  ): Promise<NetworkInterface> {
    const { NetworkInterface: created } = await moto.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: primary.SubnetId,
        Groups: (primary.Groups ?? []).map((g) => g.GroupId!),
        Description: `${cniEniDescription}${instanceId}`,
        PrivateIpAddress: await this.freeAddress(primary.SubnetId!, reserved),
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: cniTags(instanceId, cluster) }],
      }),
    );
    const deviceIndex = Math.max(...enis.map((e) => e.Attachment?.DeviceIndex ?? 0)) + 1;
    await moto.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: created!.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: deviceIndex,
      }),
    );
    this.log(
      `VPC CNI of ${cluster}: ${created!.NetworkInterfaceId} attached to ${instanceId} as device ${deviceIndex}`,
    );
    return { ...created!, Attachment: { DeviceIndex: deviceIndex, InstanceId: instanceId } };
  }

  /**
   * The highest address of the subnet that no ENI holds. EC2 picks an unused address; taking them
   * from the top keeps clear of the addresses moto hands to new instances, which it counts up
   * from the bottom without looking at secondary addresses. The last address is AWS's broadcast.
   */
  private async freeAddress(subnetId: string, reserved: Set<string>): Promise<string> {
    const [{ Subnets = [] }, { NetworkInterfaces = [] }] = await Promise.all([
      moto.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })),
      moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }] })),
    ]);
    const [base, bits] = Subnets[0]!.CidrBlock!.split('/');
    const taken = new Set(
      NetworkInterfaces.flatMap((n) => (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress!)),
    );
    const first = toInt(base!);
    // AWS reserves the first four addresses and the last of every subnet.
    for (let n = first + 2 ** (32 - Number(bits)) - 2; n >= first + 4; n--) {
      const ip = toIp(n);
      if (taken.has(ip) || reserved.has(ip)) continue;
      reserved.add(ip);
      return ip;
    }
    throw new Error(`subnet ${subnetId} has no free address`);
  }

  private async free(cluster: string, entry: ClusterEntry, ips: string[]): Promise<void> {
    const byEni = new Map<string, string[]>();
    for (const ip of ips) byEni.set(entry.assigned.get(ip)!, [...(byEni.get(entry.assigned.get(ip)!) ?? []), ip]);
    for (const [eniId, addresses] of byEni) {
      await moto.ec2
        .send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: addresses }))
        .catch((err: Error) => {
          // The ENI went with its instance (node group deleted): nothing is left to free.
          if (!/InvalidNetworkInterfaceID/.test(err.name)) throw err;
        });
      for (const ip of addresses) entry.assigned.delete(ip);
      if (await releaseIfEmpty(eniId))
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
async function releaseIfEmpty(eniId: string): Promise<boolean> {
  const { NetworkInterfaces = [] } = await moto.ec2
    .send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))
    .catch(() => ({ NetworkInterfaces: [] }));
  const eni = NetworkInterfaces[0];
  if (!eni || secondaries(eni).length > 0 || (eni.Attachment?.DeviceIndex ?? 0) === 0) return false;
  if (eni.Attachment?.AttachmentId)
    await moto.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment.AttachmentId }));
  await moto.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
  return true;
}
