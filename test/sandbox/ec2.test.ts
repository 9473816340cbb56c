// EC2 in the sandbox as strict as EC2: lists come in small pages, a security group or subnet an
// ENI still uses cannot be deleted, a pod's secondary IP finds its ENI, a stack whose VPC still
// holds a foreign security group ends DELETE_FAILED, and requests over the configured rate are
// throttled. Each product reader that must follow pages is checked against six resources.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AssignPrivateIpAddressesCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { deleteNetworkStack } from '../../activities/cloudformation.js';
import { findLeftovers } from '../../activities/leaks.js';
import { findLabIds } from '../../activities/sweep.js';
import { awsClientOptions } from '../../activities/target.js';
import { aws, createNetwork, gatewayAdmin, singleAttempt, target, unique } from '../helpers/sandbox.js';

const labTag = 'netlab.io/lab-id';
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  await gatewayAdmin('PUT', 'throttling', {});
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
});

async function taggedVpc(labId: string, cidr: string): Promise<string> {
  const { Vpc } = await aws.ec2.send(
    new CreateVpcCommand({
      CidrBlock: cidr,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: labTag, Value: labId }] }],
    }),
  );
  cleanups.push(() => aws.ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId })));
  return Vpc!.VpcId!;
}

test('a describe call answers in pages of the sandbox page size, with a NextToken to the rest', async () => {
  const { pageSize } = await gatewayAdmin<{ pageSize: number }>('GET', 'paging');
  assert.equal(pageSize, 5);
  const labId = unique('pages');
  for (let i = 0; i < 6; i++) await taggedVpc(labId, `10.${60 + i}.0.0/16`);
  const Filters = [{ Name: `tag:${labTag}`, Values: [labId] }];
  const first = await aws.ec2.send(new DescribeVpcsCommand({ Filters }));
  assert.equal(first.Vpcs?.length, 5);
  assert.ok(first.NextToken);
  const second = await aws.ec2.send(new DescribeVpcsCommand({ Filters, NextToken: first.NextToken }));
  assert.equal(second.Vpcs?.length, 1);
  assert.equal(second.NextToken, undefined);
  // A smaller page asked for is honoured; a token of another call is refused.
  const small = await aws.ec2.send(new DescribeVpcsCommand({ Filters, MaxResults: 5 }));
  assert.equal(small.Vpcs?.length, 5);
  await assert.rejects(
    aws.ec2.send(new DescribeNetworkInterfacesCommand({ NextToken: first.NextToken })),
    (err: Error) => err.name === 'InvalidParameterValue',
  );
});

test('the leak check finds the sixth VPC of a lab (every page read)', async () => {
  const labId = unique('leak6');
  const vpcs: string[] = [];
  for (let i = 0; i < 6; i++) vpcs.push(await taggedVpc(labId, `10.${70 + i}.0.0/16`));
  const leftovers = await findLeftovers(target, labId);
  assert.deepEqual(
    leftovers
      .filter((r) => r.kind === 'vpc')
      .map((r) => r.id)
      .sort(),
    [...vpcs].sort(),
  );
});

test('the sweeper finds the sixth lab that left a VPC (every page read)', async () => {
  const labId = unique('sweep6');
  const sixLabs = Array.from({ length: 6 }, (_, i) => `${labId}-${i}`);
  for (const [i, id] of sixLabs.entries()) await taggedVpc(id, `10.${80 + i}.0.0/16`);
  const found = await findLabIds(target);
  for (const id of sixLabs) assert.ok(found.includes(id), `the sweeper finds ${id}`);
});

test('an ENI blocks deleting its security group and subnet (DependencyViolation); its secondary IP finds it', async () => {
  const labId = unique('deps');
  const vpcId = await taggedVpc(labId, '10.90.0.0/16');
  const { Subnet } = await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.90.1.0/24' }));
  cleanups.push(() => aws.ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId })));
  const { GroupId } = await aws.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `${labId}-sg`, Description: 'test', VpcId: vpcId }),
  );
  cleanups.push(() => aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId })));
  const { NetworkInterface: eni } = await aws.ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: Subnet!.SubnetId, Groups: [GroupId!] }),
  );
  const eniId = eni!.NetworkInterfaceId!;
  cleanups.push(() => aws.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId })));
  await assert.rejects(aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId })), { name: 'DependencyViolation' });
  await assert.rejects(aws.ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId })), {
    name: 'DependencyViolation',
  });

  await aws.ec2.send(
    new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: ['10.90.1.200'] }),
  );
  const { NetworkInterfaces = [] } = await aws.ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.90.1.200'] }],
    }),
  );
  assert.deepEqual(
    NetworkInterfaces.map((n) => n.NetworkInterfaceId),
    [eniId],
  );

  await aws.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
  await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
  await aws.ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
});

test('a network stack whose VPC still holds a load balancer security group ends DELETE_FAILED', async () => {
  const labId = unique('stackdep');
  const network = await createNetwork(labId);
  const { GroupId } = await aws.ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `k8s-${labId}`,
      Description: 'left by a controller',
      VpcId: network.vpcId,
    }),
  );
  await assert.rejects(deleteNetworkStack(target, labId), /DELETE_FAILED: .*DependencyViolation/);
  const { Stacks = [] } = await aws.cloudformation.send(new DescribeStacksCommand({ StackName: `${labId}-network` }));
  assert.equal(Stacks[0]?.StackStatus, 'DELETE_FAILED');
  // With the group gone the stack deletes.
  await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
  await deleteNetworkStack(target, labId);
});

test('EC2 and ELBv2 throttle over the configured rate; the SDK retries through it', async () => {
  await gatewayAdmin('PUT', 'throttling', {
    ec2: { nonMutating: { capacity: 2, refillPerSecond: 4 } },
    elasticloadbalancing: { nonMutating: { capacity: 2, refillPerSecond: 4 } },
  });
  const ec2 = new EC2Client(singleAttempt);
  const elb = new ElasticLoadBalancingV2Client(singleAttempt);
  const burst = async (call: () => Promise<unknown>): Promise<Error[]> => {
    const errors: Error[] = [];
    for (let i = 0; i < 6; i++) await call().catch((err: Error) => errors.push(err));
    return errors;
  };
  const ec2Errors = await burst(() => ec2.send(new DescribeVpcsCommand({ MaxResults: 5 })));
  assert.ok(ec2Errors.length > 0, 'a burst over the bucket is throttled');
  assert.ok(ec2Errors.every((e) => e.name === 'RequestLimitExceeded'));
  assert.equal((ec2Errors[0] as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 503);
  const elbErrors = await burst(() => elb.send(new DescribeLoadBalancersCommand({})));
  assert.ok(elbErrors.length > 0);
  assert.ok(elbErrors.every((e) => e.name === 'Throttling'));
  assert.equal((elbErrors[0] as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);

  // The SDK's standard retry mode backs off and gets through.
  const retrying = new EC2Client({ ...awsClientOptions(target), maxAttempts: 8 });
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => retrying.send(new DescribeVpcsCommand({ MaxResults: 5 }))),
  );
  assert.ok(answers.every((a) => Array.isArray(a.Vpcs)));
});
