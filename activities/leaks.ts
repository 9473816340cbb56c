// The leak check: everything in AWS that still carries the lab's id after teardown. A leak is
// the worst bug this tool can ship, so this asks each service directly rather than trusting
// that teardown did what it meant to.
import {
  EC2Client,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { LeftoverResource } from '../lab/report.js';
import { describeNetworkStack, labTag } from './cloudformation.js';
import { labInstances } from './ec2.js';
import { clusterName } from './eks.js';
import { labLoadBalancers } from './elbv2.js';
import { classifying, orMissing } from './errors.js';
import { labIamResources } from './iam.js';
import { allPages } from './pages.js';
import { findZone, ownedRecords, zoneIsLabs } from './route53.js';
import { awsClientOptions, type Target } from './target.js';

export async function findLeftovers(target: Target, labId: string, domain?: string): Promise<LeftoverResource[]> {
  const options = awsClientOptions(target);
  const out: LeftoverResource[] = [];
  const stack = await describeNetworkStack(target, labId);
  if (stack && stack.StackStatus !== 'DELETE_COMPLETE')
    out.push({ kind: 'cloudformation-stack', id: stack.StackName! });
  const eks = new EKSClient(options);
  const cluster = await classifying('describe cluster', () =>
    orMissing(eks.send(new DescribeClusterCommand({ name: clusterName(labId) }))),
  );
  if (cluster) out.push({ kind: 'eks-cluster', id: clusterName(labId) });
  const ec2 = new EC2Client(options);
  const tagged = [{ Name: `tag:${labTag}`, Values: [labId] }];
  const client = { client: ec2 };
  out.push(...(await labInstances(target, labId)).map((i) => ({ kind: 'ec2-instance', id: i.InstanceId! })));
  const vpcs = await allPages('describe VPCs', paginateDescribeVpcs(client, { Filters: tagged }), (p) => p.Vpcs);
  out.push(...vpcs.map((v) => ({ kind: 'vpc', id: v.VpcId! })));
  const subnets = await allPages(
    'describe subnets',
    paginateDescribeSubnets(client, { Filters: tagged }),
    (p) => p.Subnets,
  );
  out.push(...subnets.map((s) => ({ kind: 'subnet', id: s.SubnetId! })));
  const groups = await allPages(
    'describe security groups',
    paginateDescribeSecurityGroups(client, { Filters: tagged }),
    (p) => p.SecurityGroups,
  );
  out.push(...groups.map((g) => ({ kind: 'security-group', id: g.GroupId! })));
  if (vpcs.length > 0) {
    const enis = await allPages(
      'describe ENIs',
      paginateDescribeNetworkInterfaces(client, { Filters: [{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }] }),
      (p) => p.NetworkInterfaces,
    );
    out.push(...enis.map((n) => ({ kind: 'eni', id: n.NetworkInterfaceId! })));
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
