// The sweeper's activities: which lab ids still own something in AWS, which labs Temporal still
// runs, and deleting what a lab left when its workflow can no longer do it (terminated runs no
// workflow code, so no teardown). Deletes reuse the lab's own idempotent undos, in teardown order.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  TerminateInstancesCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { ListTagsForResourcesCommand } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import type { LeftoverResource } from '../lab/report.js';
import { labIdFromWorkflowId } from '../lab/spec.js';
import { connectClient } from './temporal.js';
import { deleteNetworkStack, labTag } from './cloudformation.js';
import { deleteCluster } from './eks.js';
import { labLoadBalancers } from './elbv2.js';
import { attempt, orMissing } from './errors.js';
import { deleteIam } from './iam.js';
import { findLeftovers } from './leaks.js';
import { heartbeat, waitFor } from './poll.js';
import {
  deleteRecords,
  deleteZone,
  findZone,
  labIdOfReference,
  listZones,
  ownedRecords,
  route53Client,
} from './route53.js';
import { awsClientOptions, type Target } from './target.js';

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
    const { ResourceTagSets = [] } = await attempt('zone tags', () =>
      r53.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ids.slice(i, i + 10) })),
    );
    for (const set of ResourceTagSets) {
      const labId = labIdOf(set.Tags);
      if (labId) out.set(set.ResourceId!, labId);
    }
  }
  return out;
}

/** Every lab id that still has a stack, cluster, VPC, instance, load balancer, IAM role or zone in the target's region. */
export async function findLabIds(target: Target): Promise<string[]> {
  const options = awsClientOptions(target);
  const ids = new Set<string>();
  const add = (id: string | undefined): void => void (id && ids.add(id));

  const cfn = new CloudFormationClient(options);
  for (let token: string | undefined, more = true; more;) {
    const page = await attempt('describe stacks', () => cfn.send(new DescribeStacksCommand({ NextToken: token })));
    for (const s of page.Stacks ?? []) if (s.StackStatus !== 'DELETE_COMPLETE') add(labIdOf(s.Tags));
    [token, more] = [page.NextToken, !!page.NextToken];
  }

  const eks = new EKSClient(options);
  for (let token: string | undefined, more = true; more;) {
    const page = await attempt('list clusters', () => eks.send(new ListClustersCommand({ nextToken: token })));
    for (const name of page.clusters ?? []) {
      const found = await attempt('describe cluster', () => orMissing(eks.send(new DescribeClusterCommand({ name }))));
      add(found?.cluster?.tags?.[labTag]);
    }
    [token, more] = [page.nextToken, !!page.nextToken];
  }

  const ec2 = new EC2Client(options);
  const tagged: Filter[] = [{ Name: 'tag-key', Values: [labTag] }];
  const { Vpcs = [] } = await attempt('describe VPCs', () => ec2.send(new DescribeVpcsCommand({ Filters: tagged })));
  for (const v of Vpcs) add(labIdOf(v.Tags));
  const { Reservations = [] } = await attempt('describe instances', () =>
    ec2.send(new DescribeInstancesCommand({ Filters: tagged })),
  );
  for (const i of Reservations.flatMap((r) => r.Instances ?? []))
    if (i.State?.Name !== 'terminated') add(labIdOf(i.Tags));

  const elb = new ElasticLoadBalancingV2Client(options);
  const { LoadBalancers = [] } = await attempt('describe load balancers', () =>
    elb.send(new DescribeLoadBalancersCommand({})),
  );
  const arns = LoadBalancers.map((l) => l.LoadBalancerArn!);
  // DescribeTags takes at most 20 ARNs a call.
  for (let i = 0; i < arns.length; i += 20) {
    const { TagDescriptions = [] } = await attempt('describe tags', () =>
      elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) })),
    );
    for (const d of TagDescriptions) add(labIdOf(d.Tags));
  }

  const iam = new IAMClient(options);
  for (let marker: string | undefined, more = true; more;) {
    const page = await attempt('list roles', () => iam.send(new ListRolesCommand({ Marker: marker })));
    for (const role of page.Roles ?? []) {
      // ListRoles leaves tags out on AWS.
      const roleTags = await attempt('list role tags', () =>
        orMissing(iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))),
      );
      add(labIdOf(roleTags?.Tags));
    }
    [marker, more] = [page.Marker, page.IsTruncated ?? false];
  }

  for (const labId of (await taggedZones(target)).values()) add(labId);
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

async function deleteLoadBalancers(target: Target, labId: string): Promise<void> {
  const elb = new ElasticLoadBalancingV2Client(awsClientOptions(target));
  const tagged = await labLoadBalancers(target, labId);
  const groups = new Set(tagged.filter((r) => r.kind === 'target-group').map((r) => r.id));
  for (const { id } of tagged.filter((r) => r.kind === 'load-balancer')) {
    const own = await attempt('describe target groups', () =>
      orMissing(elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: id }))),
    );
    for (const tg of own?.TargetGroups ?? []) groups.add(tg.TargetGroupArn!);
    await attempt('delete load balancer', () =>
      orMissing(elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: id }))),
    );
    // A target group in use by a listener cannot be deleted; wait until the load balancer is gone.
    await waitFor(
      `load balancer ${id} deleted`,
      async () => {
        const left = await attempt('describe load balancers', () =>
          orMissing(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [id] }))),
        );
        return (left?.LoadBalancers ?? []).length === 0 ? true : undefined;
      },
      { timeoutMs: 10 * 60_000, intervalMs: 2000 },
    );
  }
  for (const arn of groups) {
    await attempt('delete target group', () =>
      orMissing(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }))),
    );
  }
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
  const { Reservations = [] } = await attempt('describe instances', () =>
    ec2.send(new DescribeInstancesCommand({ Filters: tagged })),
  );
  const instances = Reservations.flatMap((r) => r.Instances ?? [])
    .filter((i) => !['terminated', 'shutting-down'].includes(i.State?.Name ?? ''))
    .map((i) => i.InstanceId!);
  if (instances.length > 0)
    await attempt('terminate instances', () => ec2.send(new TerminateInstancesCommand({ InstanceIds: instances })));

  const { Vpcs = [] } = await attempt('describe VPCs', () => ec2.send(new DescribeVpcsCommand({ Filters: tagged })));
  const eniFilters: Filter[][] = [tagged];
  if (Vpcs.length > 0) eniFilters.push([{ Name: 'vpc-id', Values: Vpcs.map((v) => v.VpcId!) }]);
  for (const Filters of eniFilters) {
    const { NetworkInterfaces = [] } = await attempt('describe ENIs', () =>
      ec2.send(new DescribeNetworkInterfacesCommand({ Filters })),
    );
    // Attached ENIs go with their instance.
    for (const eni of NetworkInterfaces.filter((n) => n.Status === 'available')) {
      await attempt('delete ENI', () =>
        orMissing(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }))),
      );
    }
  }

  const { SecurityGroups = [] } = await attempt('describe security groups', () =>
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagged })),
  );
  for (const sg of SecurityGroups.filter((g) => g.GroupName !== 'default')) {
    await attempt('delete security group', () =>
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
  await step('load balancers', () => deleteLoadBalancers(target, labId));
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
    findLabIds: (region?: string) => findLabIds(inRegion(region)),
    labResources: (labId: string, domain?: string, region?: string) => labResources(inRegion(region), labId, domain),
    sweepLab: (labId: string, domain?: string, region?: string) => sweepLab(inRegion(region), labId, domain),
    runningLabIds,
  };
}
