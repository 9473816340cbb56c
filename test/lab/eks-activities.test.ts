// The lab's EKS and EC2 activities against the sandbox's strict EKS: versions resolved at
// validation, zones that offer the instance type, undos that wait out CREATING, typed failures
// for failed add-ons and node group deletions (an add-on made before the nodes may wait for
// them), and node instances found by EKS's own tag.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  CreateClusterCommand,
  DeleteAddonCommand,
  DescribeClusterCommand,
  ListAddonsCommand,
} from '@aws-sdk/client-eks';
import { labAddons } from '../../activities/eks.js';
import { ApplicationFailure } from '@temporalio/common';
import { validateSpec, type LabSpec, type LabSpecInput } from '../../lab/spec.js';
import { labActivities } from '../helpers/lab.js';
import {
  aws,
  createNetwork,
  createTestCluster,
  deleteNetwork,
  eventually,
  gatewayAdmin,
  unique,
} from '../helpers/sandbox.js';

const specOf = (input: LabSpecInput): LabSpec => validateSpec(input).spec!;
const failsWith = (type: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.type, type, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

test('validation resolves the newest version in standard support, with its default add-ons', async () => {
  const { spec, kubernetes, zones } = await labActivities.validateLab({ createZone: true, labId: unique('v') });
  assert.equal(kubernetes.version, '1.36');
  assert.equal(spec.kubernetesVersion, '1.36');
  assert.equal(kubernetes.status, 'STANDARD_SUPPORT');
  assert.equal(kubernetes.supportType, 'STANDARD');
  assert.deepEqual(
    kubernetes.addons.map((a) => a.name),
    ['vpc-cni', 'coredns', 'kube-proxy'],
  );
  assert.match(kubernetes.addons.find((a) => a.name === 'kube-proxy')!.version, /^v1\.36\./);
  assert.deepEqual(zones, ['ap-northeast-2a', 'ap-northeast-2b', 'ap-northeast-2c']);
});

test('validation refuses an unsupported version, naming the supported ones', async () => {
  await assert.rejects(
    labActivities.validateLab({ createZone: true, labId: unique('v'), kubernetesVersion: '1.24' }),
    failsWith(
      'InvalidSpec',
      /kubernetesVersion: EKS does not support Kubernetes 1\.24 .*supported: 1\.36, 1\.35, 1\.34/,
    ),
  );
});

test('a version in extended support needs allowExtendedSupport, and then gets upgrade policy EXTENDED', async () => {
  await assert.rejects(
    labActivities.validateLab({ createZone: true, labId: unique('v'), kubernetesVersion: '1.33' }),
    failsWith('InvalidSpec', /1\.33 is in EKS extended support, which costs 6× more/),
  );
  const { kubernetes } = await labActivities.validateLab({
    createZone: true,
    labId: unique('v'),
    kubernetesVersion: '1.33',
    allowExtendedSupport: true,
  });
  assert.equal(kubernetes.status, 'EXTENDED_SUPPORT');
  assert.equal(kubernetes.supportType, 'EXTENDED');
});

test('validation counts only the zones that offer the instance type', async () => {
  // EC2 offers c4.large in two of ap-northeast-2's four zones.
  await assert.rejects(
    labActivities.validateLab({ createZone: true, labId: unique('v'), instanceType: 'c4.large' }),
    failsWith('InvalidSpec', /region: ap-northeast-2 offers c4\.large in 2 availability zones; the lab needs 3/),
  );
});

const creating = unique('undo');
after(() => deleteNetwork(creating));

test('the deleteCluster undo, issued while the cluster is CREATING, waits and deletes it', async () => {
  const network = await createNetwork(creating);
  await aws.eks.send(
    new CreateClusterCommand({
      name: creating,
      version: '1.36',
      roleArn: network.clusterRoleArn,
      resourcesVpcConfig: { subnetIds: network.subnetIds },
    }),
  );
  assert.equal((await aws.eks.send(new DescribeClusterCommand({ name: creating }))).cluster?.status, 'CREATING');
  await labActivities.deleteCluster(specOf({ labId: creating }));
  await assert.rejects(
    aws.eks.send(new DescribeClusterCommand({ name: creating })),
    (err: Error) => err.name === 'ResourceNotFoundException',
  );
});

const labId = unique('inst');
const spec = specOf({ labId, kubernetesVersion: '1.36' });
after(async () => {
  await gatewayAdmin('DELETE', 'faults');
  await labActivities.deleteCluster(spec).catch(() => undefined);
  await deleteNetwork(labId);
});

test("the leak check finds the node group's instances by eks:cluster-name", async () => {
  await createTestCluster(labId, 2);
  const instances = (await labActivities.findLeftovers(spec)).filter((l) => l.kind === 'ec2-instance');
  assert.equal(instances.length, 2, 'both node instances are seen as leftovers while they exist');
});

test('an add-on that ends CREATE_FAILED is a typed AddonFailed, not a 20-minute wait', async () => {
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'CreateAddon',
    mode: 'once',
    outcome: 'CREATE_FAILED',
  });
  const { kubernetes } = await labActivities.validateLab({ createZone: true, labId, kubernetesVersion: '1.36' });
  await assert.rejects(
    labActivities.createAddons(spec, kubernetes.addons),
    failsWith('AddonFailed', /add-on vpc-cni CREATE_FAILED: ConfigurationConflict/),
  );
});

test('beside the node group a DEGRADED add-on is returned as it is; once nodes run, waitForAddons fails typed', async () => {
  for (const addonName of labAddons)
    await aws.eks.send(new DeleteAddonCommand({ clusterName: labId, addonName })).catch(() => undefined);
  await eventually('add-ons gone', async () =>
    (await aws.eks.send(new ListAddonsCommand({ clusterName: labId }))).addons?.length === 0 ? true : undefined,
  );
  await gatewayAdmin('POST', 'faults', { service: 'eks', operation: 'CreateAddon', mode: 'once', outcome: 'DEGRADED' });
  const { kubernetes } = await labActivities.validateLab({ createZone: true, labId, kubernetesVersion: '1.36' });
  const addons = await labActivities.createAddons(spec, kubernetes.addons, true);
  assert.deepEqual(
    addons.map((a) => `${a.name} ${a.status}`),
    ['vpc-cni DEGRADED', 'coredns ACTIVE', 'kube-proxy ACTIVE'],
  );
  await assert.rejects(
    labActivities.waitForAddons(spec),
    failsWith('AddonFailed', /add-on vpc-cni DEGRADED: InsufficientNumberOfReplicas/),
  );
});

test('a node group that ends DELETE_FAILED is a typed NodegroupDeleteFailed; deleting the cluster retries it', async () => {
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'DeleteNodegroup',
    mode: 'once',
    outcome: 'DELETE_FAILED',
  });
  await assert.rejects(
    labActivities.deleteNodegroups(spec),
    failsWith('NodegroupDeleteFailed', /DELETE_FAILED: Ec2SecurityGroupDeletionFailure: .*security group/),
  );
  await labActivities.deleteCluster(spec);
  await eventually('cluster gone', () =>
    aws.eks.send(new DescribeClusterCommand({ name: labId })).then(
      () => undefined,
      (err: Error) => (err.name === 'ResourceNotFoundException' ? true : undefined),
    ),
  );
  const left = await labActivities.findLeftovers(spec);
  assert.deepEqual(
    left.filter((l) => l.kind === 'ec2-instance' || l.kind === 'eks-cluster'),
    [],
  );
});
