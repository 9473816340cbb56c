// What EKS and EC2 do when a managed node group comes up: EC2 instances in the node group's
// subnets, and a Node for each that joins the cluster with the zone, instance type and pod
// limit EC2 would give. Also the system workloads EKS puts into every new cluster.
import { createHash } from 'node:crypto';
import {
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeSubnetsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { maxPodsPerNode } from '../../lab/capacity.js';
import { sandboxRegion } from '../config.js';
import { moto } from './aws.js';
import { releaseEnisOfTerminated } from './ec2.js';

export interface NodegroupSpec {
  cluster: string;
  name: string;
  subnets: string[];
  instanceType: string;
  desiredSize: number;
  labels: Record<string, string>;
}

/** Creates an object unless it exists already, so a retried step is harmless. */
export async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** The workloads every EKS cluster starts with (§2 of the write-up): aws-node, kube-proxy, coredns. */
export async function installEksSystemObjects(
  kc: KubeConfig,
  addonVersion: (addon: string) => string | undefined,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = 'kube-system';
  const image = (repo: string, addon: string): string =>
    `602401143452.dkr.ecr.${sandboxRegion}.amazonaws.com/${repo}:${addonVersion(addon) ?? 'latest'}`;
  const daemonSet = (name: string, img: string) => ({
    metadata: { name, namespace, labels: { 'k8s-app': name } },
    spec: {
      selector: { matchLabels: { 'k8s-app': name } },
      template: {
        metadata: { labels: { 'k8s-app': name } },
        spec: { hostNetwork: true, priorityClassName: 'system-node-critical', containers: [{ name, image: img }] },
      },
    },
  });
  const kubeProxyConfig = [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    'mode: "iptables"',
    `clusterCIDR: ""`,
  ].join('\n');
  await createIfMissing(() =>
    core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'kube-proxy-config', namespace, labels: { 'eks.amazonaws.com/component': 'kube-proxy' } },
        data: { config: kubeProxyConfig },
      },
    }),
  );
  await createIfMissing(() =>
    apps.createNamespacedDaemonSet({ namespace, body: daemonSet('aws-node', image('amazon-k8s-cni', 'vpc-cni')) }),
  );
  await createIfMissing(() =>
    apps.createNamespacedDaemonSet({ namespace, body: daemonSet('kube-proxy', image('eks/kube-proxy', 'kube-proxy')) }),
  );
  await createIfMissing(() =>
    apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: {
          name: 'coredns',
          namespace,
          labels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          template: {
            metadata: { labels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' } },
            spec: {
              priorityClassName: 'system-cluster-critical',
              containers: [{ name: 'coredns', image: image('eks/coredns', 'coredns') }],
            },
          },
        },
      },
    }),
  );
}

/** The Auto Scaling group EKS makes for a node group: `eks-<node group>-<uuid>`; stable per name here. */
function autoScalingGroupName(nodegroup: string): string {
  const hex = createHash('sha256').update(nodegroup).digest('hex');
  return `eks-${nodegroup}-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Launches the node group's instances in moto and registers a Node for each; returns the instance ids. */
export async function joinNodes(kc: KubeConfig, spec: NodegroupSpec): Promise<string[]> {
  const { Subnets = [] } = await moto.ec2.send(new DescribeSubnetsCommand({ SubnetIds: spec.subnets }));
  if (Subnets.length === 0) throw new Error(`node group ${spec.name} has no subnets`);
  const { InstanceTypes = [] } = await moto.ec2.send(
    new DescribeInstanceTypesCommand({ InstanceTypes: [spec.instanceType as never] }),
  );
  const it = InstanceTypes[0];
  if (!it?.NetworkInfo) throw new Error(`instance type ${spec.instanceType} is unknown to EC2`);
  const maxPods = maxPodsPerNode(
    it.NetworkInfo.MaximumNetworkInterfaces ?? 1,
    it.NetworkInfo.Ipv4AddressesPerInterface ?? 1,
  );
  const { Images = [] } = await moto.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = Images[0]?.ImageId;
  if (!imageId) throw new Error('EC2 offers no image to launch nodes from');
  const core = kc.makeApiClient(CoreV1Api);
  const ids: string[] = [];
  for (let i = 0; i < spec.desiredSize; i++) {
    const subnet = Subnets[i % Subnets.length]!;
    // Only what EKS and Auto Scaling put on a node group's instances: the node group's own tags
    // stay on the node group (EKS user guide, "Managed node groups": tagging).
    const tags = {
      'eks:cluster-name': spec.cluster,
      'eks:nodegroup-name': spec.name,
      'aws:autoscaling:groupName': autoScalingGroupName(spec.name),
      [`kubernetes.io/cluster/${spec.cluster}`]: 'owned',
    };
    const { Instances = [] } = await moto.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: spec.instanceType as never,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet.SubnetId,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
    );
    const instance = Instances[0]!;
    ids.push(instance.InstanceId!);
    const ip = instance.PrivateIpAddress!;
    const zone = subnet.AvailabilityZone!;
    const name = `ip-${ip.replaceAll('.', '-')}.${sandboxRegion}.compute.internal`;
    const node: V1Node = {
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: {
          ...spec.labels,
          type: 'kwok',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'topology.kubernetes.io/region': sandboxRegion,
          'topology.kubernetes.io/zone': zone,
          'node.kubernetes.io/instance-type': spec.instanceType,
          'eks.amazonaws.com/nodegroup': spec.name,
          'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        },
      },
      // No podCIDR: pods get their IPs from the node's ENIs (ipam.ts), as the VPC CNI gives them.
      spec: { providerID: `aws:///${zone}/${instance.InstanceId}` },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        capacity: {
          cpu: String(it.VCpuInfo?.DefaultVCpus ?? 2),
          memory: `${it.MemoryInfo?.SizeInMiB ?? 4096}Mi`,
          pods: String(maxPods),
        },
        allocatable: {
          cpu: String(it.VCpuInfo?.DefaultVCpus ?? 2),
          memory: `${it.MemoryInfo?.SizeInMiB ?? 4096}Mi`,
          pods: String(maxPods),
        },
        nodeInfo: {
          architecture: 'amd64',
          operatingSystem: 'linux',
          osImage: 'Amazon Linux 2',
          kernelVersion: '5.10.0-eks',
          containerRuntimeVersion: 'containerd://1.7.0',
          kubeletVersion: 'v0.0.0-kwok',
          kubeProxyVersion: '',
          bootID: '',
          machineID: '',
          systemUUID: '',
        },
      },
    };
    await createIfMissing(() => core.createNode({ body: node }));
  }
  return ids;
}

/**
 * Drains a node group away: its Nodes leave the cluster (when its API server answers: `kc`), then
 * its instances terminate whatever the drain came to, as EKS forces a drain that cannot finish.
 * Returns why the Nodes could not be removed, if they could not.
 */
export async function removeNodes(
  kc: KubeConfig | undefined,
  spec: NodegroupSpec,
  instanceIds: string[],
): Promise<string | undefined> {
  let drainProblem: string | undefined;
  if (kc) {
    try {
      const core = kc.makeApiClient(CoreV1Api);
      const nodes = await core.listNode({ labelSelector: `eks.amazonaws.com/nodegroup=${spec.name}` });
      for (const n of nodes.items) await core.deleteNode({ name: n.metadata!.name! }).catch(() => undefined);
    } catch (err) {
      drainProblem = (err as Error).message;
    }
  }
  if (instanceIds.length > 0) {
    await moto.ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
    await releaseEnisOfTerminated(instanceIds);
  }
  return drainProblem;
}
