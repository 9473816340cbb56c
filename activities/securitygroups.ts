// Security groups the lab did not make itself but must not leave: the AWS Load Balancer
// Controller's frontend groups and its shared backend group `k8s-traffic-<cluster>-<hash>`, left
// when the controller was uninstalled before its finalizers ran. A group that another group's rule
// references, or that an ENI still uses (a deleted load balancer's ENIs linger for minutes), cannot
// be deleted (DependencyViolation): references are revoked first, and the delete is retried.
import {
  DeleteSecurityGroupCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroups,
  type Filter,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { labTag } from './cloudformation.js';
import { controllerClusterTag } from './elbv2.js';
import { classify, classifying, orMissing } from './errors.js';
import { waitFor } from './poll.js';
import { awsClientOptions, type Target } from './target.js';

async function securityGroups(ec2: EC2Client, filters: Filter[]): Promise<SecurityGroup[]> {
  const out: SecurityGroup[] = [];
  await classifying('describe security groups', async () => {
    for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, { Filters: filters }))
      out.push(...(page.SecurityGroups ?? []));
  });
  return out;
}

/** The groups the controller made for the cluster: it tags every one `elbv2.k8s.aws/cluster=<cluster>`. */
export async function controllerSecurityGroups(target: Target, cluster: string): Promise<SecurityGroup[]> {
  const ec2 = new EC2Client(awsClientOptions(target));
  return securityGroups(ec2, [{ Name: `tag:${controllerClusterTag}`, Values: [cluster] }]);
}

/** Groups in the VPC that carry the lab's tag or the controller's tag for its cluster, except `keep`. */
export async function labSecurityGroupsInVpc(
  target: Target,
  vpcId: string,
  owner: { labId: string; cluster: string },
  keep: ReadonlySet<string>,
): Promise<SecurityGroup[]> {
  const ec2 = new EC2Client(awsClientOptions(target));
  return (await securityGroups(ec2, [{ Name: 'vpc-id', Values: [vpcId] }])).filter(
    (g) =>
      g.GroupName !== 'default' &&
      !keep.has(g.GroupId!) &&
      (g.Tags ?? []).some(
        (t) =>
          (t.Key === labTag && t.Value === owner.labId) ||
          (t.Key === controllerClusterTag && t.Value === owner.cluster),
      ),
  );
}

/** The permissions of `perms` that name one of `groupIds` as their source or destination. */
const referencing = (perms: IpPermission[] | undefined, groupIds: ReadonlySet<string>): IpPermission[] =>
  (perms ?? [])
    .map((p) => ({ ...p, UserIdGroupPairs: (p.UserIdGroupPairs ?? []).filter((g) => groupIds.has(g.GroupId ?? '')) }))
    .filter((p) => p.UserIdGroupPairs.length > 0)
    .map((p) => ({
      IpProtocol: p.IpProtocol,
      FromPort: p.FromPort,
      ToPort: p.ToPort,
      UserIdGroupPairs: p.UserIdGroupPairs.map((g) => ({ GroupId: g.GroupId })),
    }));

/**
 * Revokes every rule in the groups' VPCs that references them, then deletes them, retrying
 * DependencyViolation (an ENI still uses the group) for up to 10 minutes. Returns the ids deleted.
 */
export async function deleteSecurityGroups(target: Target, groups: SecurityGroup[]): Promise<string[]> {
  if (groups.length === 0) return [];
  const ec2 = new EC2Client(awsClientOptions(target));
  const ids = new Set(groups.map((g) => g.GroupId!));
  const vpcs = [...new Set(groups.map((g) => g.VpcId!).filter(Boolean))];
  for (const sg of await securityGroups(ec2, [{ Name: 'vpc-id', Values: vpcs }])) {
    const ingress = referencing(sg.IpPermissions, ids);
    const egress = referencing(sg.IpPermissionsEgress, ids);
    if (ingress.length)
      await classifying('revoke ingress', () =>
        orMissing(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: ingress }))),
      );
    if (egress.length)
      await classifying('revoke egress', () =>
        orMissing(ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg.GroupId, IpPermissions: egress }))),
      );
  }
  for (const id of ids) {
    let last = '';
    await waitFor(
      `security group ${id} deleted`,
      async () => {
        try {
          await orMissing(ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })));
          return true;
        } catch (err) {
          if ((err as Error).name !== 'DependencyViolation') classify(err, 'delete security group');
          last = (err as Error).message;
          return undefined;
        }
      },
      { timeoutMs: 10 * 60_000, intervalMs: 5000, describe: () => last },
    );
  }
  return [...ids];
}
