// The leak check: everything in AWS that still carries the lab's id after teardown. A leak is
// the worst bug this tool can ship, so this asks each service directly rather than trusting
// that teardown did what it meant to.
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { LeftoverResource } from '../lab/report.js';
import { describeNetworkStack, labTag } from './cloudformation.js';
import { clusterName } from './eks.js';
import { labLoadBalancers } from './elbv2.js';
import { attempt, isNotFound } from './errors.js';
import { labIamResources } from './iam.js';
import { findZone, ownedRecords, zoneIsLabs } from './route53.js';
import { awsClientOptions, type Target } from './target.js';

async function exists(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (err) {
    if (isNotFound(err) || /does not exist/.test((err as Error).message)) return false;
    throw err;
  }
}

export async function findLeftovers(target: Target, labId: string, domain?: string): Promise<LeftoverResource[]> {
  const options = awsClientOptions(target);
  const out: LeftoverResource[] = [];
  const stack = await describeNetworkStack(target, labId);
  if (stack && stack.StackStatus !== 'DELETE_COMPLETE')
    out.push({ kind: 'cloudformation-stack', id: stack.StackName! });
  const eks = new EKSClient(options);
  if (
    await attempt('describe cluster', () => exists(eks.send(new DescribeClusterCommand({ name: clusterName(labId) }))))
  ) {
    out.push({ kind: 'eks-cluster', id: clusterName(labId) });
  }
  const ec2 = new EC2Client(options);
  const tagged = [{ Name: `tag:${labTag}`, Values: [labId] }];
  const { Reservations = [] } = await attempt('describe instances', () =>
    ec2.send(new DescribeInstancesCommand({ Filters: tagged })),
  );
  for (const i of Reservations.flatMap((r) => r.Instances ?? [])) {
    if (!['terminated', 'shutting-down'].includes(i.State?.Name ?? ''))
      out.push({ kind: 'ec2-instance', id: i.InstanceId! });
  }
  const { Vpcs = [] } = await attempt('describe VPCs', () => ec2.send(new DescribeVpcsCommand({ Filters: tagged })));
  out.push(...Vpcs.map((v) => ({ kind: 'vpc', id: v.VpcId! })));
  const { Subnets = [] } = await attempt('describe subnets', () =>
    ec2.send(new DescribeSubnetsCommand({ Filters: tagged })),
  );
  out.push(...Subnets.map((s) => ({ kind: 'subnet', id: s.SubnetId! })));
  const { SecurityGroups = [] } = await attempt('describe security groups', () =>
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: tagged })),
  );
  out.push(...SecurityGroups.map((g) => ({ kind: 'security-group', id: g.GroupId! })));
  if (Vpcs.length > 0) {
    const { NetworkInterfaces = [] } = await attempt('describe ENIs', () =>
      ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: Vpcs.map((v) => v.VpcId!) }] }),
      ),
    );
    out.push(...NetworkInterfaces.map((n) => ({ kind: 'eni', id: n.NetworkInterfaceId! })));
  }
  out.push(...(await labLoadBalancers(target, labId)));
  out.push(...(await labIamResources(target, labId)));
  if (domain) {
    const zone = await findZone(target, domain, labId);
    if (zone) {
      for (const r of await ownedRecords(target, zone.id, labId))
        out.push({ kind: 'route53-record', id: `${r.Name} ${r.Type}` });
      if (await zoneIsLabs(target, zone, labId)) out.push({ kind: 'route53-zone', id: zone.id });
    }
  }
  return out;
}
