// The VPC CNI's IP management in the sandbox: every pod on the pod network holds a secondary IP
// of an ENI attached to its node's instance in EC2, found there by DescribeNetworkInterfaces;
// the primary ENI fills first, then more ENIs up to the instance type's limit, never more than
// IPv4-per-ENI − 1 pods on one; addresses and extra ENIs are freed when the pods go, and the
// node group's deletion takes the ENIs with it. ipamd calls EC2 as the node's instance role, so
// a role without AmazonEKS_CNI_Policy leaves new pods without addresses.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeInstanceTypesCommand, paginateDescribeNetworkInterfaces } from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { awsClientOptions } from '../../activities/target.js';
import { awaitRunningPods, deploy } from '../helpers/pods.js';
import { aws, createTestCluster, deleteTestCluster, eventually, target, unique } from '../helpers/sandbox.js';

const labId = unique('ipam');
let kc: KubeConfig;
let instanceId: string;
let vpcId: string;

before(async () => {
  let network: { vpcId: string };
  ({ kc, network } = await createTestCluster(labId, 1));
  vpcId = network.vpcId;
  const [node] = (await kc.makeApiClient(CoreV1Api).listNode()).items;
  instanceId = node!.spec!.providerID!.split('/').pop()!;
});
after(() => deleteTestCluster(labId));

async function enisOf(instance: string) {
  const out = [];
  for await (const page of paginateDescribeNetworkInterfaces(
    { client: aws.ec2 },
    { Filters: [{ Name: 'attachment.instance-id', Values: [instance] }] },
  ))
    out.push(...(page.NetworkInterfaces ?? []));
  return out.sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
}

const podNetworkPods = async (): Promise<V1Pod[]> =>
  (await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items.filter((p) => !p.spec?.hostNetwork);

const scale = (replicas: number): Promise<void> => deploy(kc, 'web', replicas);

const secondaryIps = (e: { PrivateIpAddresses?: { Primary?: boolean; PrivateIpAddress?: string }[] }): string[] =>
  (e.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!);

test('pods fill the primary ENI first, then new ENIs, each pod IP on an ENI of its node', async () => {
  const { InstanceTypes = [] } = await aws.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.medium'] }));
  const { MaximumNetworkInterfaces: maxEnis = 0, Ipv4AddressesPerInterface: perEni = 0 } =
    InstanceTypes[0]!.NetworkInfo!;
  const slots = maxEnis * (perEni - 1); // 15 on t3.medium; coredns takes 2 of them
  await scale(slots - 2);
  const pods = await eventually(
    'every pod Running',
    async () => {
      const all = await podNetworkPods();
      return all.length === slots && all.every((p) => p.status?.phase === 'Running') ? all : undefined;
    },
    120_000,
  );
  const enis = await enisOf(instanceId);
  assert.equal(enis.length, maxEnis, 'more ENIs were attached as pods grew, up to the limit');
  for (const eni of enis) {
    const secondaries = (eni.PrivateIpAddresses ?? []).filter((a) => !a.Primary);
    assert.ok(secondaries.length <= perEni - 1, `${eni.NetworkInterfaceId} holds at most ${perEni - 1} pod IPs`);
  }
  for (const pod of pods) {
    const ip = pod.status!.podIP!;
    assert.equal(pod.metadata?.annotations?.['vpc.amazonaws.com/pod-ips'], ip);
    const found = [];
    for await (const page of paginateDescribeNetworkInterfaces(
      { client: aws.ec2 },
      // Addresses are unique within a VPC, as the Load Balancer Controller looks them up.
      {
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'addresses.private-ip-address', Values: [ip] },
        ],
      },
    ))
      found.push(...(page.NetworkInterfaces ?? []));
    assert.equal(found.length, 1, `pod ${pod.metadata!.name} (${ip}) is on exactly one ENI`);
    assert.equal(found[0]!.Attachment?.InstanceId, instanceId, 'that ENI is attached to the pod’s node');
  }

  // One pod more than the ENIs hold: the scheduler's pod limit keeps it Pending, as on EKS.
  await scale(slots - 1);
  await eventually('the extra pod Pending', async () => {
    const web = (await podNetworkPods()).filter((p) => p.metadata?.labels?.app === 'web');
    return web.length === slots - 1 && web.some((p) => p.status?.phase === 'Pending') ? true : undefined;
  });
});

test('addresses are freed when pods go, and an extra ENI left empty with them', async () => {
  await scale(0);
  const coredns = await eventually('only coredns left on the pod network', async () => {
    const left = await podNetworkPods();
    return left.length === 2 ? left.map((p) => p.status!.podIP!).sort() : undefined;
  });
  // Freed addresses go first, then each extra ENI they leave empty is detached and deleted; an
  // ENI still holding a pod (coredns may sit on any of them) stays, as with ipamd.
  const enis = await eventually(
    'the web pods’ addresses and the emptied ENIs freed',
    async () => {
      const left = await enisOf(instanceId);
      const settled = left.every((e) => e.Attachment?.DeviceIndex === 0 || secondaryIps(e).length > 0);
      return settled && left.flatMap(secondaryIps).length === 2 ? left : undefined;
    },
    60_000,
  );
  assert.deepEqual(
    enis.flatMap(secondaryIps).sort(),
    coredns,
    'the ENIs hold coredns’s two addresses and nothing else',
  );
  assert.ok(enis.length < 3, `extra ENIs were released (${enis.length} left)`);
});

test('a node role without AmazonEKS_CNI_Policy: ipamd is refused, new pods get no address and no ENI', async () => {
  const iam = new IAMClient(awsClientOptions(target));
  const cniPolicy = { RoleName: `${labId}-node`, PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy' };
  const held = (await enisOf(instanceId)).flatMap(secondaryIps).sort();
  await iam.send(new DetachRolePolicyCommand(cniPolicy));
  try {
    await scale(3);
    const web = await eventually('3 web pods on the node', async () => {
      const pods = (await podNetworkPods()).filter((p) => p.metadata?.labels?.app === 'web' && p.spec?.nodeName);
      return pods.length === 3 ? pods : undefined;
    });
    // Twenty of ipamd's rounds: each one's EC2 calls are denied to the node's role.
    await new Promise((r) => setTimeout(r, 5_000));
    for (const pod of await podNetworkPods()) {
      if (!web.some((w) => w.metadata!.name === pod.metadata!.name)) continue;
      assert.equal(
        pod.metadata?.annotations?.['vpc.amazonaws.com/pod-ips'],
        undefined,
        `${pod.metadata!.name} got an address`,
      );
      assert.equal(pod.status?.podIP, undefined);
    }
    assert.deepEqual((await enisOf(instanceId)).flatMap(secondaryIps).sort(), held, 'no address was assigned in EC2');
  } finally {
    await iam.send(new AttachRolePolicyCommand(cniPolicy));
  }
  // The policy back, the same pods get their addresses.
  await awaitRunningPods(kc, 'web', 3);
});
