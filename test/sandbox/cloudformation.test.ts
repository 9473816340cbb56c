import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { aws, eventually, unique } from '../helpers/sandbox.js';

const template = readFileSync(new URL('../../activities/templates/network.yaml', import.meta.url), 'utf8');

test('the lab network stack is created in moto, reports progress first, and is deleted', async () => {
  const labId = unique('cfn');
  const StackName = `${labId}-network`;
  await aws.cloudformation.send(
    new CreateStackCommand({
      StackName,
      TemplateBody: template,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ClientRequestToken: `${labId}-create`,
      Parameters: [
        { ParameterKey: 'LabId', ParameterValue: labId },
        { ParameterKey: 'Zones', ParameterValue: 'ap-northeast-2a,ap-northeast-2b,ap-northeast-2c' },
        { ParameterKey: 'SubnetCidrs', ParameterValue: '192.168.1.0/24,192.168.2.0/24,192.168.3.0/24' },
      ],
      Tags: [{ Key: 'netlab.io/lab-id', Value: labId }],
    }),
  );
  const first = await aws.cloudformation.send(new DescribeStacksCommand({ StackName }));
  assert.equal(first.Stacks?.[0]?.StackStatus, 'CREATE_IN_PROGRESS', 'the latency profile holds the stack in progress');
  const stack = await eventually('stack complete', async () => {
    const { Stacks } = await aws.cloudformation.send(new DescribeStacksCommand({ StackName }));
    return Stacks?.[0]?.StackStatus === 'CREATE_COMPLETE' ? Stacks[0] : undefined;
  });
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const tagFilter = [{ Name: 'tag:netlab.io/lab-id', Values: [labId] }];
  const vpcs = await aws.ec2.send(new DescribeVpcsCommand({ Filters: tagFilter }));
  assert.deepEqual(
    vpcs.Vpcs?.map((v) => v.VpcId),
    [outputs.VpcId],
  );
  assert.equal(vpcs.Vpcs?.[0]?.CidrBlock, '192.168.0.0/16');
  const subnets = await aws.ec2.send(new DescribeSubnetsCommand({ Filters: tagFilter }));
  assert.deepEqual(subnets.Subnets?.map((s) => s.AvailabilityZone).sort(), [
    'ap-northeast-2a',
    'ap-northeast-2b',
    'ap-northeast-2c',
  ]);
  assert.deepEqual(subnets.Subnets?.map((s) => s.SubnetId).sort(), outputs.SubnetIds!.split(',').sort());

  await aws.cloudformation.send(new DeleteStackCommand({ StackName }));
  await eventually('vpc gone', async () => {
    const left = await aws.ec2.send(new DescribeVpcsCommand({ Filters: tagFilter }));
    return left.Vpcs?.length === 0 ? true : undefined;
  });
});
