// EKS's life cycle in the sandbox, as strict as EKS: DeleteCluster refused while the cluster is
// CREATING or has node groups, add-ons and node groups passing through their states (and failing
// when a fault says so), and node instances that carry only the tags EKS and Auto Scaling give.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateAddonCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { aws, createNetwork, deleteNetwork, eventually, gatewayAdmin, unique } from '../helpers/sandbox.js';

const labId = unique('life');
const nodegroupName = `${labId}-ng`;
let network: Awaited<ReturnType<typeof createNetwork>>;

after(async () => {
  await gatewayAdmin('DELETE', 'faults');
  await aws.eks.send(new DeleteNodegroupCommand({ clusterName: labId, nodegroupName })).catch(() => undefined);
  await eventually(
    'cluster deleted',
    () =>
      aws.eks.send(new DeleteClusterCommand({ name: labId })).then(
        () => true,
        (err: Error) => (err.name === 'ResourceNotFoundException' ? true : undefined),
      ),
    120_000,
  );
  await deleteNetwork(labId);
});

const refusedInUse = (message: RegExp) => (err: Error) => {
  assert.equal(err.name, 'ResourceInUseException');
  assert.match(err.message, message);
  return true;
};
const nodegroupStatus = async (): Promise<string | undefined> =>
  (await aws.eks.send(new DescribeNodegroupCommand({ clusterName: labId, nodegroupName }))).nodegroup?.status;

test('DeleteCluster is refused while the cluster is CREATING', async () => {
  network = await createNetwork(labId);
  await aws.eks.send(
    new CreateClusterCommand({
      name: labId,
      version: '1.36',
      roleArn: network.clusterRoleArn,
      resourcesVpcConfig: { subnetIds: network.subnetIds },
      tags: { 'netlab.io/lab-id': labId },
    }),
  );
  await assert.rejects(
    aws.eks.send(new DeleteClusterCommand({ name: labId })),
    refusedInUse(new RegExp(`cluster ${labId} currently has an update in progress`)),
  );
  const { cluster } = await aws.eks.send(new DescribeClusterCommand({ name: labId }));
  assert.equal(cluster?.status, 'CREATING', 'the refused delete changed nothing');
  await eventually(
    'cluster ACTIVE',
    async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name: labId }))).cluster?.status === 'ACTIVE' ? true : undefined,
    180_000,
  );
});

test('node group instances carry only the tags EKS and Auto Scaling put on them', async () => {
  const { nodegroup } = await aws.eks.send(
    new CreateNodegroupCommand({
      clusterName: labId,
      nodegroupName,
      nodeRole: network.nodeRoleArn,
      subnets: network.subnetIds,
      instanceTypes: ['t3.medium'],
      scalingConfig: { minSize: 2, maxSize: 2, desiredSize: 2 },
      tags: { 'netlab.io/lab-id': labId, team: 'netlab' },
    }),
  );
  assert.equal(nodegroup?.status, 'CREATING');
  await eventually('node group ACTIVE', async () => ((await nodegroupStatus()) === 'ACTIVE' ? true : undefined));

  const { Reservations = [] } = await aws.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:eks:cluster-name', Values: [labId] }] }),
  );
  const instances = Reservations.flatMap((r) => r.Instances ?? []);
  assert.equal(instances.length, 2);
  for (const i of instances) {
    const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.deepEqual(Object.keys(tags).sort(), [
      'aws:autoscaling:groupName',
      'eks:cluster-name',
      'eks:nodegroup-name',
      `kubernetes.io/cluster/${labId}`,
    ]);
    assert.equal(tags['eks:nodegroup-name'], nodegroupName);
    assert.equal(tags[`kubernetes.io/cluster/${labId}`], 'owned');
    assert.match(tags['aws:autoscaling:groupName']!, new RegExp(`^eks-${nodegroupName}-[0-9a-f-]{36}$`));
  }
  const byLabTag = await aws.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:netlab.io/lab-id', Values: [labId] }] }),
  );
  assert.equal(byLabTag.Reservations?.length ?? 0, 0, "the node group's tags do not reach its instances");
});

test('add-ons go CREATING, then ACTIVE, or CREATE_FAILED / DEGRADED when a fault says so', async () => {
  const outcomes = { 'vpc-cni': 'CREATE_FAILED', coredns: 'DEGRADED', 'kube-proxy': 'ACTIVE' } as const;
  for (const [addonName, outcome] of Object.entries(outcomes)) {
    if (outcome !== 'ACTIVE')
      await gatewayAdmin('POST', 'faults', { service: 'eks', operation: 'CreateAddon', mode: 'once', outcome });
    const { addon } = await aws.eks.send(new CreateAddonCommand({ clusterName: labId, addonName }));
    assert.equal(addon?.status, 'CREATING');
  }
  for (const [addonName, outcome] of Object.entries(outcomes)) {
    const addon = await eventually(`${addonName} settled`, async () => {
      const { addon: a } = await aws.eks.send(new DescribeAddonCommand({ clusterName: labId, addonName }));
      return a?.status === 'CREATING' ? undefined : a;
    });
    assert.equal(addon.status, outcome, addonName);
    assert.equal(addon.health?.issues?.length ?? 0, outcome === 'ACTIVE' ? 0 : 1);
  }
});

test('DeleteCluster is refused while node groups are attached, even one that ended DELETE_FAILED', async () => {
  await assert.rejects(
    aws.eks.send(new DeleteClusterCommand({ name: labId })),
    refusedInUse(/Cluster has nodegroups attached/),
  );
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'DeleteNodegroup',
    mode: 'once',
    outcome: 'DELETE_FAILED',
  });
  const { nodegroup } = await aws.eks.send(new DeleteNodegroupCommand({ clusterName: labId, nodegroupName }));
  assert.equal(nodegroup?.status, 'DELETING');
  await eventually('node group DELETE_FAILED', async () =>
    (await nodegroupStatus()) === 'DELETE_FAILED' ? true : undefined,
  );
  const { nodegroup: failed } = await aws.eks.send(new DescribeNodegroupCommand({ clusterName: labId, nodegroupName }));
  assert.equal(failed?.health?.issues?.[0]?.code, 'Ec2SecurityGroupDeletionFailure');
  const { nodegroups } = await aws.eks.send(new ListNodegroupsCommand({ clusterName: labId }));
  assert.deepEqual(nodegroups, [nodegroupName]);
  await assert.rejects(
    aws.eks.send(new DeleteClusterCommand({ name: labId })),
    refusedInUse(/Cluster has nodegroups attached/),
  );

  // Deleting again retries, and the node group is gone after DELETING.
  await aws.eks.send(new DeleteNodegroupCommand({ clusterName: labId, nodegroupName }));
  assert.equal(await nodegroupStatus(), 'DELETING');
  await assert.rejects(aws.eks.send(new DeleteClusterCommand({ name: labId })), refusedInUse(/nodegroups attached/));
  await eventually('node group gone', async () =>
    (await aws.eks.send(new ListNodegroupsCommand({ clusterName: labId }))).nodegroups?.length === 0 ? true : undefined,
  );
  const { cluster } = await aws.eks.send(new DeleteClusterCommand({ name: labId }));
  assert.equal(cluster?.status, 'DELETING');
});
