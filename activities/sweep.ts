// The sweeper's activities: which lab ids still own something in AWS, which labs Temporal still
// runs, and deleting what a lab left when its workflow can no longer do it (terminated runs no
// workflow code, so no teardown). Deletes reuse the lab's own idempotent undos, in teardown order.
import { CloudFormationClient, paginateDescribeStacks } from '@aws-sdk/client-cloudformation';
import {
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  EC2Client,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateDescribeVpcs,
  TerminateInstancesCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, paginateListClusters } from '@aws-sdk/client-eks';
import {
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListPolicyTagsCommand,
  ListRoleTagsCommand,
  paginateListPolicies,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { ListTagsForResourcesCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import type { LeftoverResource } from '../lab/report.js';
import { labIdFromWorkflowId } from '../lab/spec.js';
import { connectClient } from './temporal.js';
import { deleteNetworkStack, labTag } from './cloudformation.js';
import { labInstances, liveInstances } from './ec2.js';
import { deleteCluster } from './eks.js';
import { controllerClusterTag, elbResourcesWithTags } from './elbv2.js';
import { classifying, orMissing } from './errors.js';
import { deleteIam } from './iam.js';
import { findLeftovers } from './leaks.js';
import { allPages } from './pages.js';
import { heartbeat } from './poll.js';
import { deleteLbControllerLeftovers } from './phases/lbcontroller.js';
import {
  deleteRecords,
  deleteZone,
  externalDnsOwner,
  findZone,
  labIdOfReference,
  listZones,
  ownedRecords,
  records,
  route53Client,
} from './route53.js';
import { awsClientOptions, type Target } from './target.js';

/** The tag the VPC CNI puts on the ENIs it makes, with the cluster's name. */
const cniClusterTag = 'cluster.k8s.amazonaws.com/name';

/** The owner a TXT registry record of ExternalDNS names (its values are quoted strings). */
const ownerOfTxt = (r: ResourceRecordSet): string | undefined =>
  (r.ResourceRecords ?? []).map((v) => externalDnsOwner(v.Value ?? '')).find((o) => o !== undefined);

const labIdOf = (tags: { Key?: string; Value?: string }[] | undefined): string | undefined =>
  tags?.find((t) => t.Key === labTag)?.Value;

/**
 * Every hosted zone a lab made, as zone id → lab id: tagged with a lab id, or created with a lab
 * run's CallerReference (a zone whose tag call was lost carries no tag).
 */
async function taggedZones(target: Target): Promise<Map<string, string>> {
  const r53 = route53Client(target);
  const zones = await listZones(target);
  const ids = zones.map((z) => z.Id!.replace('/hostedzone/', ''));
  const out = new Map<string, string>();
  zones.forEach((z, i) => {
    const labId = labIdOfReference(z.CallerReference);
    if (labId) out.set(ids[i]!, labId);
  });
  // ListTagsForResources takes at most 10 zones a call.
  for (let i = 0; i < ids.length; i += 10) {
    const { ResourceTagSets = [] } = await classifying('zone tags', () =>
      r53.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ids.slice(i, i + 10) })),
    );
    for (const set of ResourceTagSets) {
      const labId = labIdOf(set.Tags);
      if (labId) out.set(set.ResourceId!, labId);
    }
  }
  return out;
}

/**
 * Every lab id that still owns anything the lab makes, in the target's region: a stack, cluster,
 * VPC, instance, load balancer or target group, security group, ENI, IAM role, policy or OIDC
 * provider, hosted zone, or (in `domain`'s zone) a record — so a teardown that left only one small
 * thing is still swept.
 */
export async function findLabIds(target: Target, domain?: string): Promise<string[]> {
  const options = awsClientOptions(target);
  const ids = new Set<string>();
  const add = (id: string | undefined): void => void (id && ids.add(id));

  const cfn = new CloudFormationClient(options);
  for (const s of await allPages('describe stacks', paginateDescribeStacks({ client: cfn }, {}), (p) => p.Stacks))
    if (s.StackStatus !== 'DELETE_COMPLETE') add(labIdOf(s.Tags));

  const eks = new EKSClient(options);
  for (const name of await allPages('list clusters', paginateListClusters({ client: eks }, {}), (p) => p.clusters)) {
    const found = await classifying('describe cluster', () =>
      orMissing(eks.send(new DescribeClusterCommand({ name }))),
    );
    add(found?.cluster?.tags?.[labTag]);
  }

  const ec2 = new EC2Client(options);
  const tagged: Filter[] = [{ Name: 'tag-key', Values: [labTag] }];
  const vpcs = await allPages(
    'describe VPCs',
    paginateDescribeVpcs({ client: ec2 }, { Filters: tagged }),
    (p) => p.Vpcs,
  );
  for (const v of vpcs) add(labIdOf(v.Tags));
  // Node instances carry EKS's tags, not the lab's: they belong to the lab whose VPC they are in.
  const labOfVpc = new Map(vpcs.map((v) => [v.VpcId!, labIdOf(v.Tags)]));
  for (const i of await liveInstances(target, [{ Name: 'tag-key', Values: ['eks:cluster-name'] }]))
    add(labOfVpc.get(i.VpcId!));

  // Security groups and ENIs carry the lab's tag, or the tag the load balancer controller or the
  // VPC CNI puts on them with the cluster's name, which is the lab id.
  const byCluster = (tags: { Key?: string; Value?: string }[] | undefined): string | undefined =>
    labIdOf(tags) ?? tags?.find((t) => t.Key === controllerClusterTag || t.Key === cniClusterTag)?.Value;
  const orClusterTag = (key: string) => [tagged, [{ Name: 'tag-key', Values: [key] }]];
  for (const Filters of orClusterTag(controllerClusterTag)) {
    const pages = paginateDescribeSecurityGroups({ client: ec2 }, { Filters });
    for (const g of await allPages('describe security groups', pages, (p) => p.SecurityGroups)) add(byCluster(g.Tags));
  }
  for (const Filters of orClusterTag(cniClusterTag)) {
    const pages = paginateDescribeNetworkInterfaces({ client: ec2 }, { Filters });
    for (const eni of await allPages('describe ENIs', pages, (p) => p.NetworkInterfaces)) add(byCluster(eni.TagSet));
  }

  // Target groups too: one left alone by a failed teardown is still the lab's.
  for (const r of await elbResourcesWithTags(target)) add(labIdOf(r.tags));

  const iam = new IAMClient(options);
  for (const role of await allPages('list roles', paginateListRoles({ client: iam }, {}), (p) => p.Roles)) {
    // ListRoles leaves tags out on AWS.
    const roleTags = await classifying('list role tags', () =>
      orMissing(iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))),
    );
    add(labIdOf(roleTags?.Tags));
  }
  const policies = paginateListPolicies({ client: iam }, { Scope: 'Local' });
  for (const policy of await allPages('list policies', policies, (p) => p.Policies)) {
    const policyTags = await classifying('list policy tags', () =>
      orMissing(iam.send(new ListPolicyTagsCommand({ PolicyArn: policy.Arn }))),
    );
    add(labIdOf(policyTags?.Tags));
  }
  const { OpenIDConnectProviderList = [] } = await classifying('list OIDC providers', () =>
    iam.send(new ListOpenIDConnectProvidersCommand({})),
  );
  for (const provider of OpenIDConnectProviderList) {
    const providerTags = await classifying('list OIDC provider tags', () =>
      orMissing(iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: provider.Arn }))),
    );
    add(labIdOf(providerTags?.Tags));
  }

  for (const labId of (await taggedZones(target)).values()) add(labId);
  // Records carry no tags: ExternalDNS's TXT registry record names each record's owner, the lab id.
  const zone = domain ? await findZone(target, domain) : undefined;
  if (zone) for (const r of await records(target, zone.id)) if (r.Type === 'TXT') add(ownerOfTxt(r));
  return [...ids].sort();
}

/** What the leak check sees for the lab, plus zones tagged by it (the leak check only looks in the lab's domain). */
export async function labResources(target: Target, labId: string, domain?: string): Promise<LeftoverResource[]> {
  const out = await findLeftovers(target, labId, domain);
  for (const [zoneId, owner] of await taggedZones(target)) {
    if (owner === labId && !out.some((r) => r.kind === 'route53-zone' && r.id === zoneId))
      out.push({ kind: 'route53-zone', id: zoneId });
  }
  return out;
}

async function deleteDns(target: Target, labId: string, domain?: string): Promise<void> {
  if (domain) {
    const zone = await findZone(target, domain, labId);
    if (zone) await deleteRecords(target, zone.id, await ownedRecords(target, zone.id, labId));
  }
  for (const [zoneId, owner] of await taggedZones(target)) if (owner === labId) await deleteZone(target, zoneId);
}

/** Instances, ENIs and security groups still carrying the lab's tag (or, for ENIs, in its VPCs). */
async function deleteStragglers(target: Target, labId: string): Promise<void> {
  const ec2 = new EC2Client(awsClientOptions(target));
  const tagged: Filter[] = [{ Name: `tag:${labTag}`, Values: [labId] }];
  const client = { client: ec2 };
  const instances = (await labInstances(target, labId)).map((i) => i.InstanceId!);
  if (instances.length > 0)
    await classifying('terminate instances', () => ec2.send(new TerminateInstancesCommand({ InstanceIds: instances })));

  const vpcs = await allPages('describe VPCs', paginateDescribeVpcs(client, { Filters: tagged }), (p) => p.Vpcs);
  const eniFilters: Filter[][] = [tagged, [{ Name: `tag:${cniClusterTag}`, Values: [labId] }]];
  if (vpcs.length > 0) eniFilters.push([{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }]);
  for (const Filters of eniFilters) {
    const enis = await allPages(
      'describe ENIs',
      paginateDescribeNetworkInterfaces(client, { Filters }),
      (p) => p.NetworkInterfaces,
    );
    // Attached ENIs go with their instance.
    for (const eni of enis.filter((n) => n.Status === 'available')) {
      await classifying('delete ENI', () =>
        orMissing(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }))),
      );
    }
  }

  const groups = await allPages(
    'describe security groups',
    paginateDescribeSecurityGroups(client, { Filters: tagged }),
    (p) => p.SecurityGroups,
  );
  for (const sg of groups.filter((g) => g.GroupName !== 'default')) {
    await classifying('delete security group', () =>
      orMissing(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId }))),
    );
  }
}

const same = (a: LeftoverResource, b: LeftoverResource): boolean => a.kind === b.kind && a.id === b.id;

/**
 * Deletes everything the lab left, in teardown order; returns what it deleted. Kubernetes objects
 * need no deleting: they go with the cluster. Fails (and so is retried) while anything is left.
 */
export async function sweepLab(target: Target, labId: string, domain?: string): Promise<LeftoverResource[]> {
  const before = await labResources(target, labId, domain);
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    heartbeat({ waitingFor: `sweep ${labId}: ${name}` });
    await run();
  };
  await step('load balancers and their security groups', async () => {
    await deleteLbControllerLeftovers(target, labId);
  });
  await step('DNS records and zones', () => deleteDns(target, labId, domain));
  await step('IAM', () => deleteIam(target, labId));
  await step('node groups and cluster', () => deleteCluster(target, labId));
  await step('network stack', async () => {
    try {
      await deleteNetworkStack(target, labId);
    } catch {
      // A straggler (an ENI, an instance) in the VPC blocks the stack: remove it and delete again.
      await deleteStragglers(target, labId);
      await deleteNetworkStack(target, labId);
    }
  });
  await step('instances, ENIs and security groups', () => deleteStragglers(target, labId));
  const after = await labResources(target, labId, domain);
  if (after.length > 0) {
    throw ApplicationFailure.retryable(
      `${labId}: ${after.length} resources left after the sweep: ${after.map((r) => `${r.kind} ${r.id}`).join(', ')}`,
      'SweepIncomplete',
    );
  }
  return before.filter((r) => !after.some((a) => same(a, r)));
}

/** Lab ids of the networkLab workflows Temporal still runs: those clean up after themselves. */
export async function runningLabIds(): Promise<string[]> {
  const { client, close } = await connectClient();
  try {
    const ids: string[] = [];
    const query = "WorkflowType = 'networkLab' AND ExecutionStatus = 'Running'";
    // Both the workflow id and the lab id a scheduled lab takes from it: a lab left alone wrongly costs nothing.
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId, labIdFromWorkflowId(wf.workflowId));
    return [...new Set(ids)];
  } finally {
    await close();
  }
}

/** The sweeper's activities over the worker's target; `region` overrides the target's region. */
export function createSweepActivities(baseTarget: Target) {
  const inRegion = (region?: string): Target => ({ ...baseTarget, region: region ?? baseTarget.region });
  return {
    findLabIds: (region?: string, domain?: string) => findLabIds(inRegion(region), domain),
    labResources: (labId: string, domain?: string, region?: string) => labResources(inRegion(region), labId, domain),
    sweepLab: (labId: string, domain?: string, region?: string) => sweepLab(inRegion(region), labId, domain),
    runningLabIds,
  };
}
