// The EKS side of the sandbox end to end: a cluster and a node group made through the gateway
// give a real control plane with nodes shaped like EC2's, EKS's system pods, the scheduler's
// real pod limit, and load balancers that follow their Services.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DescribeTargetHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateAddonCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
} from '@aws-sdk/client-eks';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { clusterKubeConfig } from '../../activities/kube.js';
import { resolveA } from '../../activities/dns.js';
import { spreadOverPods } from '../../activities/probes.js';
import { deleteIam } from '../../activities/iam.js';
import { deploy, runningPods } from '../helpers/pods.js';
import {
  aws,
  createNetwork,
  deleteTestCluster,
  eventually,
  labIrsaRole,
  startLbController,
  target,
  unique,
} from '../helpers/sandbox.js';

const labId = unique('eks');
let kc: KubeConfig;
let vpcId: string;
let core: CoreV1Api;
let apps: AppsV1Api;

const podsOf = async (namespace: string, selector: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
const running = (pods: V1Pod[]): V1Pod[] => pods.filter((p) => p.status?.phase === 'Running');

before(async () => {
  const network = await createNetwork(labId);
  vpcId = network.vpcId;
  const { cluster } = await aws.eks.send(
    new CreateClusterCommand({
      name: labId,
      version: '1.36',
      roleArn: network.clusterRoleArn,
      resourcesVpcConfig: { subnetIds: network.subnetIds },
      tags: { 'netlab.io/lab-id': labId },
    }),
  );
  assert.equal(cluster?.status, 'CREATING');
  await eventually(
    'cluster ACTIVE',
    async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name: labId }))).cluster?.status === 'ACTIVE' ? true : undefined,
    180_000,
  );
  const { nodegroup } = await aws.eks.send(
    new CreateNodegroupCommand({
      clusterName: labId,
      nodegroupName: `${labId}-ng`,
      nodeRole: network.nodeRoleArn,
      subnets: network.subnetIds,
      instanceTypes: ['t3.medium'],
      scalingConfig: { minSize: 3, maxSize: 3, desiredSize: 3 },
      tags: { 'netlab.io/lab-id': labId },
    }),
  );
  assert.equal(nodegroup?.status, 'CREATING');
  await eventually('node group ACTIVE', async () => {
    const { nodegroup: ng } = await aws.eks.send(
      new DescribeNodegroupCommand({ clusterName: labId, nodegroupName: `${labId}-ng` }),
    );
    return ng?.status === 'ACTIVE' ? true : undefined;
  });
  kc = await clusterKubeConfig(target, labId);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

after(async () => {
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('3 t3.medium nodes join Ready in 3 zones with 17 allocatable pods, and EKS system pods run', async () => {
  const nodes = await eventually('3 Ready nodes', async () => {
    const items = (await core.listNode()).items;
    const ready = items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 3 ? ready : undefined;
  });
  assert.deepEqual(nodes.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone']).sort(), [
    'ap-northeast-2a',
    'ap-northeast-2b',
    'ap-northeast-2c',
  ]);
  for (const n of nodes) {
    assert.equal(n.status?.allocatable?.pods, '17');
    assert.equal(n.metadata?.labels?.['node.kubernetes.io/instance-type'], 't3.medium');
    assert.match(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', /^192\.168\.[123]\./);
  }
  await eventually('system pods Running', async () => {
    const [awsNode, kubeProxy, coredns] = await Promise.all([
      podsOf('kube-system', 'k8s-app=aws-node'),
      podsOf('kube-system', 'k8s-app=kube-proxy'),
      podsOf('kube-system', 'k8s-app=kube-dns'),
    ]);
    return running(awsNode).length === 3 && running(kubeProxy).length === 3 && running(coredns).length === 2
      ? true
      : undefined;
  });
  const config = await core.readNamespacedConfigMap({ name: 'kube-proxy-config', namespace: 'kube-system' });
  assert.match(config.data?.config ?? '', /mode: "iptables"/);
});

test('add-ons are created with the versions EKS gives their cluster version', async () => {
  const { addon } = await aws.eks.send(new CreateAddonCommand({ clusterName: labId, addonName: 'vpc-cni' }));
  assert.equal(addon?.status, 'CREATING');
  assert.equal(addon?.addonVersion, 'v1.20.4-eksbuild.2');
  await eventually('add-on ACTIVE', async () => {
    const { addon: a } = await aws.eks.send(new DescribeAddonCommand({ clusterName: labId, addonName: 'vpc-cni' }));
    return a?.status === 'ACTIVE' ? true : undefined;
  });
});

test('50 nginx replicas: Running equals the free capacity, the rest Pending with Too many pods', async () => {
  const nodes = (await core.listNode()).items;
  const capacity = nodes.reduce((sum, n) => sum + Number(n.status?.allocatable?.pods), 0);
  const systemPods = (await core.listPodForAllNamespaces()).items.filter((p) => p.spec?.nodeName).length;
  const free = capacity - systemPods;
  assert.equal(free, 3 * 17 - 8, 'aws-node and kube-proxy on each node and two coredns take 8 slots');
  await deploy(kc, 'nginx', 50);
  const pods = await eventually(
    'all 50 pods placed or refused',
    async () => {
      const items = await podsOf('default', 'app=nginx');
      const pending = items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
      );
      return items.length === 50 && running(items).length + pending.length === 50 ? { items, pending } : undefined;
    },
    120_000,
  );
  assert.equal(running(pods.items).length, free);
  assert.equal(pods.pending.length, 50 - free);
  for (const p of pods.pending) {
    const message = p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '';
    assert.match(message, /Too many pods/);
  }
  await apps.deleteNamespacedDeployment({ name: 'nginx', namespace: 'default' });
});

test('an NLB-class Service gets a load balancer whose targets follow its pods and whose front spreads requests', async () => {
  // The controller's own Deployment, as its Helm chart labels it, is what the emulation waits for;
  // it calls AWS with the lab's IRSA role for it, as on EKS.
  await startLbController(kc, labId, vpcId, await labIrsaRole(labId, 'lbController'));
  await deploy(kc, 'echo', 2);
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: {
        name: 'svc-nlb-ip-type',
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
          'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': `netlab.io/lab-id=${labId}`,
        },
      },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: 'service.k8s.aws/nlb',
        selector: { app: 'echo' },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    },
  });
  const hostname = await eventually('load balancer hostname', async () => {
    const svc = await core.readNamespacedService({ name: 'svc-nlb-ip-type', namespace: 'default' });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  const { LoadBalancers = [] } = await aws.elbv2.send(new DescribeLoadBalancersCommand({}));
  const lb = LoadBalancers.find((l) => l.DNSName === hostname);
  assert.equal(lb?.Type, 'network');
  assert.equal(lb?.Scheme, 'internet-facing');
  const { TagDescriptions = [] } = await aws.elbv2.send(
    new DescribeTagsCommand({ ResourceArns: [lb!.LoadBalancerArn!] }),
  );
  assert.ok(TagDescriptions[0]?.Tags?.some((t) => t.Key === 'netlab.io/lab-id' && t.Value === labId));

  const podIps = async (): Promise<string[]> => (await runningPods(kc, 'echo')).map((p) => p.status!.podIP!).sort();
  const targetIps = async (): Promise<string[]> => {
    const { TargetGroups = [] } = await aws.elbv2.send(
      new DescribeTargetGroupsCommand({ LoadBalancerArn: lb!.LoadBalancerArn }),
    );
    const health = await aws.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: TargetGroups[0]!.TargetGroupArn }),
    );
    return (health.TargetHealthDescriptions ?? []).map((t) => t.Target!.Id!).sort();
  };
  await eventually('targets = the 2 pod IPs', async () => {
    const [pods, targets] = [await podIps(), await targetIps()];
    return pods.length === 2 && JSON.stringify(pods) === JSON.stringify(targets) ? true : undefined;
  });

  // A load balancer's name resolves a moment after it exists, on AWS as here: wait as nlbTest does.
  await eventually('the load balancer name to resolve', async () =>
    (await resolveA(target, hostname)).length > 0 ? true : undefined,
  );
  const spread = await spreadOverPods(target, hostname, 100);
  const podNames = (await runningPods(kc, 'echo')).map((p) => p.metadata!.name!).sort();
  assert.deepEqual(Object.keys(spread).sort(), podNames);
  assert.deepEqual(Object.values(spread), [50, 50]);

  await apps.patchNamespacedDeploymentScale({
    name: 'echo',
    namespace: 'default',
    body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
  });
  await eventually('targets = the 3 pod IPs', async () => {
    const [pods, targets] = [await podIps(), await targetIps()];
    return pods.length === 3 && JSON.stringify(pods) === JSON.stringify(targets) ? true : undefined;
  });

  await core.deleteNamespacedService({ name: 'svc-nlb-ip-type', namespace: 'default' });
  await eventually('load balancer deleted with its Service', async () => {
    const left = (await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    return left.some((l) => l.DNSName === hostname) ? undefined : true;
  });
});
