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
  paginateDescribeAddonVersions,
  paginateDescribeClusterVersions,
  paginateListNodegroups,
  type Addon,
  type ClusterVersionInformation,
} from '@aws-sdk/client-eks';
import type { NetworkOutputs, ResolvedKubernetes } from '../lab/report.js';
import type { LabSpec, SpecProblem } from '../lab/spec.js';
import { labTag } from './cloudformation.js';
import { classifying, nonRetryableFailure, orMissing } from './errors.js';
import { awsPolling, beforeCreate, waitFor } from './poll.js';
import { awsClientOptions, type Target } from './target.js';

export const clusterName = (labId: string): string => labId;
export const nodegroupName = (labId: string): string => `${labId}-ng`;
export const labAddons = ['vpc-cni', 'coredns', 'kube-proxy'] as const;

const eksClient = (target: Target): EKSClient => new EKSClient(awsClientOptions(target));

const day = (d?: Date): string | undefined => d?.toISOString().slice(0, 10);
const byMinorDesc = (a: ClusterVersionInformation, b: ClusterVersionInformation): number =>
  Number(b.clusterVersion!.split('.')[1]) - Number(a.clusterVersion!.split('.')[1]);

/**
 * The Kubernetes version for the lab, from EKS's own calendar (DescribeClusterVersions): the one
 * the spec names, or the newest in standard support. An unsupported version, or one in extended
 * support (6× the price per cluster-hour) without `allowExtendedSupport`, is a spec problem.
 */
export async function resolveKubernetes(
  target: Target,
  spec: Pick<LabSpec, 'kubernetesVersion' | 'allowExtendedSupport'>,
): Promise<{ resolved: ResolvedKubernetes } | { problem: SpecProblem }> {
  const eks = eksClient(target);
  const versions: ClusterVersionInformation[] = [];
  await classifying('describe cluster versions', async () => {
    for await (const page of paginateDescribeClusterVersions({ client: eks }, { includeAll: true }))
      versions.push(...(page.clusterVersions ?? []));
  });
  versions.sort(byMinorDesc);
  // `versionStatus` replaced the deprecated `status` (spelled `standard-support` in the model).
  const statusOf = (v?: ClusterVersionInformation): string =>
    (v?.versionStatus ?? v?.status ?? 'UNSUPPORTED').toUpperCase().replace('-', '_');
  const inStatus = (s: string): string[] => versions.filter((v) => statusOf(v) === s).map((v) => v.clusterVersion!);
  const standard = inStatus('STANDARD_SUPPORT');
  const extended = inStatus('EXTENDED_SUPPORT');
  const supported = `supported: ${standard.join(', ')} (standard support)${extended.length ? `; ${extended.join(', ')} (extended support, needs allowExtendedSupport)` : ''}`;
  const wanted = spec.kubernetesVersion ?? standard[0];
  const info = versions.find((v) => v.clusterVersion === wanted);
  const problem = (message: string) => ({ problem: { field: 'kubernetesVersion', message } });
  if (!wanted) return problem(`EKS offers no version in standard support; ${supported}`);
  const status = statusOf(info);
  if (!info || (status !== 'STANDARD_SUPPORT' && status !== 'EXTENDED_SUPPORT')) {
    const ended = info?.endOfExtendedSupportDate ? ` (its support ended ${day(info.endOfExtendedSupportDate)})` : '';
    return problem(`EKS does not support Kubernetes ${wanted}${ended}; ${supported}`);
  }
  if (status === 'EXTENDED_SUPPORT' && !spec.allowExtendedSupport) {
    return problem(
      `Kubernetes ${wanted} is in EKS extended support, which costs 6× more per cluster-hour ($0.60 instead of $0.10): allow it with allowExtendedSupport, or choose one of ${standard.join(', ')}`,
    );
  }
  return {
    resolved: {
      version: wanted,
      status,
      endOfStandardSupport: day(info.endOfStandardSupportDate),
      // STANDARD: at the end of standard support EKS upgrades the cluster instead of billing extended support.
      supportType: spec.allowExtendedSupport ? 'EXTENDED' : 'STANDARD',
      addons: await defaultAddonVersions(target, wanted),
    },
  };
}

/** EKS's default version of each of the lab's add-ons for a Kubernetes version (DescribeAddonVersions). */
export async function defaultAddonVersions(
  target: Target,
  kubernetesVersion: string,
): Promise<{ name: string; version: string }[]> {
  const eks = eksClient(target);
  const defaults = new Map<string, string>();
  for (const addonName of labAddons) {
    await classifying(`describe ${addonName} versions`, async () => {
      for await (const page of paginateDescribeAddonVersions({ client: eks }, { kubernetesVersion, addonName })) {
        for (const addon of page.addons ?? []) {
          const byDefault = addon.addonVersions?.find((v) =>
            v.compatibilities?.some((c) => c.clusterVersion === kubernetesVersion && c.defaultVersion),
          );
          if (byDefault?.addonVersion) defaults.set(addonName, byDefault.addonVersion);
        }
      }
    });
  }
  return labAddons.map((name) => {
    const version = defaults.get(name);
    if (!version)
      throw nonRetryableFailure(
        `EKS names no default ${name} version for Kubernetes ${kubernetesVersion}`,
        'NotSupported',
      );
    return { name, version };
  });
}

/** Makes the cluster at the version resolved at validation (`spec.kubernetesVersion`). */
export async function createCluster(
  target: Target,
  spec: LabSpec,
  network: NetworkOutputs,
): Promise<{ name: string; version: string }> {
  const eks = eksClient(target);
  const name = clusterName(spec.labId);
  const existing = await classifying('describe cluster', () =>
    orMissing(eks.send(new DescribeClusterCommand({ name }))),
  );
  if (!existing) {
    beforeCreate(`create cluster ${name}`);
    await classifying('create cluster', () =>
      eks.send(
        new CreateClusterCommand({
          name,
          version: spec.kubernetesVersion,
          upgradePolicy: { supportType: spec.allowExtendedSupport ? 'EXTENDED' : 'STANDARD' },
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
      const { cluster: c } = await classifying('describe cluster', () =>
        eks.send(new DescribeClusterCommand({ name })),
      );
      if (c?.status === 'FAILED') {
        throw nonRetryableFailure(
          `cluster ${name} FAILED: ${c.health?.issues?.[0]?.message ?? 'no reason given'}`,
          'ClusterFailed',
        );
      }
      return c?.status === 'ACTIVE' ? c : undefined;
    },
    { timeoutMs: 40 * 60_000, intervalMs: awsPolling },
  );
  return { name, version: cluster.version ?? spec.kubernetesVersion ?? '' };
}

export async function createNodegroup(target: Target, spec: LabSpec, network: NetworkOutputs): Promise<string> {
  const eks = eksClient(target);
  const name = nodegroupName(spec.labId);
  const cluster = clusterName(spec.labId);
  const existing = await classifying('describe node group', () =>
    orMissing(eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }))),
  );
  if (!existing) {
    beforeCreate(`create node group ${name}`);
    await classifying('create node group', () =>
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
      const { nodegroup } = await classifying('describe node group', () =>
        eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name })),
      );
      if (nodegroup?.status === 'CREATE_FAILED' || nodegroup?.status === 'DEGRADED') {
        const issue = nodegroup.health?.issues?.[0];
        throw nonRetryableFailure(
          `node group ${name} ${nodegroup.status}: ${issue?.code}: ${issue?.message}`,
          'NodegroupFailed',
        );
      }
      return nodegroup?.status === 'ACTIVE' ? true : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: awsPolling },
  );
  return name;
}

export interface AddonStatus {
  name: string;
  version: string;
  status: string;
}

/**
 * Installs the lab's add-ons at the given versions (resolved at validation) and waits for them.
 * `beforeNodes`: the node group is still coming up, and on AWS coredns stays CREATING, or turns
 * DEGRADED (InsufficientNumberOfReplicas), until nodes run its pods; such an add-on is returned
 * as it is, and waitForAddons waits for it once the nodes are there. Otherwise every add-on must
 * turn ACTIVE.
 */
export async function createAddons(
  target: Target,
  spec: LabSpec,
  versions: { name: string; version: string }[] = [],
  beforeNodes = false,
): Promise<AddonStatus[]> {
  const eks = eksClient(target);
  const cluster = clusterName(spec.labId);
  for (const addonName of labAddons) {
    const existing = await classifying('describe add-on', () =>
      orMissing(eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName }))),
    );
    if (!existing) {
      beforeCreate(`create add-on ${addonName}`);
      await classifying(`create add-on ${addonName}`, () =>
        eks.send(
          new CreateAddonCommand({
            clusterName: cluster,
            addonName,
            addonVersion: versions.find((v) => v.name === addonName)?.version,
            tags: { [labTag]: spec.labId },
            resolveConflicts: 'OVERWRITE',
          }),
        ),
      );
    }
  }
  return addonsSettled(target, spec.labId, beforeNodes ? ['ACTIVE', 'DEGRADED'] : ['ACTIVE']);
}

/** Waits until every add-on is ACTIVE: after the nodes run its pods, a DEGRADED add-on is a failure. */
export const waitForAddons = (target: Target, labId: string): Promise<AddonStatus[]> =>
  addonsSettled(target, labId, ['ACTIVE']);

async function addonsSettled(target: Target, labId: string, settled: string[]): Promise<AddonStatus[]> {
  const eks = eksClient(target);
  const cluster = clusterName(labId);
  return waitFor(
    `add-ons ${settled.join(' or ')}`,
    async () => {
      const addons: Addon[] = [];
      for (const addonName of labAddons) {
        const { addon } = await classifying('describe add-on', () =>
          eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName })),
        );
        // A failed or degraded add-on does not heal by waiting (EKS API reference, AddonIssue),
        // unless it is degraded for want of nodes (`settled` then includes DEGRADED).
        if (addon?.status === 'CREATE_FAILED' || (addon?.status === 'DEGRADED' && !settled.includes('DEGRADED'))) {
          const issue = addon.health?.issues?.[0];
          throw nonRetryableFailure(
            `add-on ${addonName} ${addon.status}: ${issue?.code ?? 'no code'}: ${issue?.message ?? 'no reason given'}`,
            'AddonFailed',
          );
        }
        if (addon) addons.push(addon);
      }
      return addons.every((a) => settled.includes(a.status!))
        ? addons.map((a) => ({ name: a.addonName!, version: a.addonVersion!, status: a.status! }))
        : undefined;
    },
    { timeoutMs: 20 * 60_000, intervalMs: awsPolling },
  );
}

export async function describeAddons(target: Target, labId: string): Promise<AddonStatus[]> {
  const eks = eksClient(target);
  const cluster = clusterName(labId);
  const { addons = [] } = await classifying('list add-ons', () =>
    eks.send(new ListAddonsCommand({ clusterName: cluster })),
  );
  const out = [];
  for (const addonName of addons) {
    const { addon } = await classifying('describe add-on', () =>
      eks.send(new DescribeAddonCommand({ clusterName: cluster, addonName })),
    );
    out.push({ name: addonName, version: addon?.addonVersion ?? '', status: addon?.status ?? '' });
  }
  return out;
}

/** Every node group of the cluster (all pages), or undefined when the cluster is gone. */
async function listNodegroups(eks: EKSClient, cluster: string): Promise<string[] | undefined> {
  return classifying('list node groups', () =>
    orMissing(
      (async () => {
        const names: string[] = [];
        for await (const page of paginateListNodegroups({ client: eks }, { clusterName: cluster }))
          names.push(...(page.nodegroups ?? []));
        return names;
      })(),
    ),
  );
}

// EKS refuses to delete what is still being made or changed (EKS API reference, DeleteCluster and
// DeleteNodegroup: ResourceInUseException): such states are waited out first.
const busy = ['CREATING', 'UPDATING'];

/**
 * Deletes every node group of the lab's cluster and waits until they are gone. A node group that
 * ends DELETE_FAILED is a typed failure with EKS's health issue, not a 30-minute wait.
 */
export async function deleteNodegroups(target: Target, labId: string): Promise<void> {
  const eks = eksClient(target);
  const cluster = clusterName(labId);
  const describe = (nodegroupName: string) =>
    classifying('describe node group', () =>
      orMissing(eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName }))),
    );
  const deleteRequested = new Set<string>();
  await waitFor(
    `node groups of ${cluster} deleted`,
    async () => {
      const left = (await listNodegroups(eks, cluster)) ?? [];
      for (const ng of left) {
        const nodegroup = (await describe(ng))?.nodegroup;
        if (!nodegroup || busy.includes(nodegroup.status ?? '') || nodegroup.status === 'DELETING') continue;
        if (nodegroup.status === 'DELETE_FAILED' && deleteRequested.has(ng)) {
          const issue = nodegroup.health?.issues?.[0];
          throw nonRetryableFailure(
            `node group ${ng} DELETE_FAILED: ${issue?.code ?? 'no code'}: ${issue?.message ?? 'no reason given'}`,
            'NodegroupDeleteFailed',
          );
        }
        // ACTIVE, CREATE_FAILED, DEGRADED, or DELETE_FAILED from an earlier attempt: delete (again).
        await classifying('delete node group', () =>
          orMissing(eks.send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: ng }))),
        );
        deleteRequested.add(ng);
      }
      return left.length === 0 ? true : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: awsPolling },
  );
}

/** Deletes the cluster (its node groups first, once it is no longer CREATING) and waits until it is gone. */
export async function deleteCluster(target: Target, labId: string): Promise<void> {
  const eks = eksClient(target);
  const name = clusterName(labId);
  const describe = () =>
    classifying('describe cluster', () => orMissing(eks.send(new DescribeClusterCommand({ name }))));
  const settled = await waitFor(
    `cluster ${name} settled before its deletion`,
    async () => {
      const found = await describe();
      if (!found) return { gone: true };
      return busy.includes(found.cluster?.status ?? '') ? undefined : { gone: false };
    },
    { timeoutMs: 40 * 60_000, intervalMs: awsPolling },
  );
  if (settled.gone) return;
  await deleteNodegroups(target, labId);
  await classifying('delete cluster', () => orMissing(eks.send(new DeleteClusterCommand({ name }))));
  await waitFor(`cluster ${name} deleted`, async () => ((await describe()) ? undefined : true), {
    timeoutMs: 30 * 60_000,
    intervalMs: awsPolling,
  });
}
