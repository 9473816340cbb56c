// LAB.md phase 1 (cluster part): the EKS cluster, its managed node group and add-ons, each made
// through the EKS API with its own undo. Names derive from the lab id, so a retried create finds
// its own earlier attempt instead of making a second one.
import {
  CreateAddonCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListAddonsCommand,
  ListNodegroupsCommand,
  type Addon,
} from '@aws-sdk/client-eks';
import { ApplicationFailure } from '@temporalio/common';
import type { NetworkOutputs } from '../lab/report.js';
import type { LabSpec } from '../lab/spec.js';
import { labTag } from './cloudformation.js';
import { attempt, orMissing } from './errors.js';
import { beforeCreate, waitFor } from './poll.js';
import { awsClientOptions, type Target } from './target.js';

export const clusterName = (labId: string): string => labId;
export const nodegroupName = (labId: string): string => `${labId}-ng`;
export const labAddons = ['vpc-cni', 'coredns', 'kube-proxy'] as const;

const eksClient = (target: Target): EKSClient => new EKSClient(awsClientOptions(target));

export async function createCluster(
  target: Target,
  spec: LabSpec,
  network: NetworkOutputs,
): Promise<{ name: string; version: string }> {
  const eks = eksClient(target);
  const name = clusterName(spec.labId);
  const existing = await attempt('describe cluster', () => orMissing(eks.send(new DescribeClusterCommand({ name }))));
  if (!existing) {
    beforeCreate(`create cluster ${name}`);
    await attempt('create cluster', () =>
      eks.send(
        new CreateClusterCommand({
          name,
          version: spec.kubernetesVersion,
          roleArn: network.clusterRoleArn,
          resourcesVpcConfig: {
            subnetIds: network.subnetIds,
            securityGroupIds: [network.securityGroupId],
            endpointPublicAccess: true,
          },
          tags: { [labTag]: spec.labId },
          clientRequestToken: `${spec.labId}-cluster`,
        }),
      ),
    );
  }
  const cluster = await waitFor(
    `cluster ${name} ACTIVE`,
    async () => {
      const { cluster: c } = await attempt('describe cluster', () => eks.send(new DescribeClusterCommand({ name })));
      if (c?.status === 'FAILED') {
        throw ApplicationFailure.nonRetryable(
          `cluster ${name} FAILED: ${c.health?.issues?.[0]?.message ?? 'no reason given'}`,
          'ClusterFailed',
        );
      }
      return c?.status === 'ACTIVE' ? c : undefined;
    },
    { timeoutMs: 40 * 60_000, intervalMs: 2000 },
  );
  return { name, version: cluster.version ?? spec.kubernetesVersion };
}

export async function createNodegroup(target: Target, spec: LabSpec, network: NetworkOutputs): Promise<string> {
  const eks = eksClient(target);
  const name = nodegroupName(spec.labId);
  const cluster = clusterName(spec.labId);
  const existing = await attempt('describe node group', () =>
    orMissing(eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }))),
  );
  if (!existing) {
    beforeCreate(`create node group ${name}`);
    await attempt('create node group', () =>
      eks.send(
        new CreateNodegroupCommand({
          clusterName: cluster,
          nodegroupName: name,
          nodeRole: network.nodeRoleArn,
          subnets: network.subnetIds,
          instanceTypes: [spec.instanceType],
          scalingConfig: { minSize: spec.nodes, maxSize: spec.nodes, desiredSize: spec.nodes },
          labels: { [labTag]: spec.labId },
          tags: { [labTag]: spec.labId },
          clientRequestToken: `${spec.labId}-nodegroup`,
        }),
      ),
    );
  }
  await waitFor(
    `node group ${name} ACTIVE`,
    async () => {
      const { nodegroup } = await attempt('describe node group', () =>
        eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name })),
      );
      if (nodegroup?.status === 'CREATE_FAILED' || nodegroup?.status === 'DEGRADED') {
        const issue = nodegroup.health?.issues?.[0];
        throw ApplicationFailure.nonRetryable(
          `node group ${name} ${nodegroup.status}: ${issue?.code}: ${issue?.message}`,
          'NodegroupFailed',
        );
      }
      return nodegroup?.status === 'ACTIVE' ? true : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 2000 },
  );
  return name;
}

export async function createAddons(
  target: Target,
  spec: LabSpec,
): Promise<{ name: string; version: string; status: string }[]> {
  const eks = eksClient(target);
  const cluster = clusterName(spec.labId);
  for (const addonName of labAddons) {
    const existing = await attempt('describe add-on', () =>
      orMissing(eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName }))),
    );
    if (!existing) {
      beforeCreate(`create add-on ${addonName}`);
      await attempt(`create add-on ${addonName}`, () =>
        eks.send(
          new CreateAddonCommand({
            clusterName: cluster,
            addonName,
            tags: { [labTag]: spec.labId },
            resolveConflicts: 'OVERWRITE',
          }),
        ),
      );
    }
  }
  return waitFor(
    'add-ons ACTIVE',
    async () => {
      const addons: Addon[] = [];
      for (const addonName of labAddons) {
        const { addon } = await attempt('describe add-on', () =>
          eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName })),
        );
        if (addon) addons.push(addon);
      }
      return addons.every((a) => a.status === 'ACTIVE')
        ? addons.map((a) => ({ name: a.addonName!, version: a.addonVersion!, status: a.status! }))
        : undefined;
    },
    { timeoutMs: 20 * 60_000, intervalMs: 2000 },
  );
}

export async function describeAddons(
  target: Target,
  labId: string,
): Promise<{ name: string; version: string; status: string }[]> {
  const eks = eksClient(target);
  const cluster = clusterName(labId);
  const { addons = [] } = await attempt('list add-ons', () =>
    eks.send(new ListAddonsCommand({ clusterName: cluster })),
  );
  const out = [];
  for (const addonName of addons) {
    const { addon } = await attempt('describe add-on', () =>
      eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName })),
    );
    out.push({ name: addonName, version: addon?.addonVersion ?? '', status: addon?.status ?? '' });
  }
  return out;
}

/** Deletes every node group of the lab's cluster and waits until they are gone. */
export async function deleteNodegroups(target: Target, labId: string): Promise<void> {
  const eks = eksClient(target);
  const cluster = clusterName(labId);
  const list = await attempt('list node groups', () =>
    orMissing(eks.send(new ListNodegroupsCommand({ clusterName: cluster }))),
  );
  for (const ng of list?.nodegroups ?? []) {
    await attempt('delete node group', () =>
      orMissing(eks.send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: ng }))),
    );
  }
  await waitFor(
    `node groups of ${cluster} deleted`,
    async () => {
      const left = await attempt('list node groups', () =>
        orMissing(eks.send(new ListNodegroupsCommand({ clusterName: cluster }))),
      );
      return (left?.nodegroups ?? []).length === 0 ? true : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 2000 },
  );
}

/** Deletes the cluster (its node groups first) and waits until it is gone. */
export async function deleteCluster(target: Target, labId: string): Promise<void> {
  const eks = eksClient(target);
  const name = clusterName(labId);
  if (!(await attempt('describe cluster', () => orMissing(eks.send(new DescribeClusterCommand({ name })))))) return;
  await deleteNodegroups(target, labId);
  await attempt('delete cluster', () => orMissing(eks.send(new DeleteClusterCommand({ name }))));
  await waitFor(
    `cluster ${name} deleted`,
    async () =>
      (await attempt('describe cluster', () => orMissing(eks.send(new DescribeClusterCommand({ name })))))
        ? undefined
        : true,
    { timeoutMs: 30 * 60_000, intervalMs: 2000 },
  );
}
