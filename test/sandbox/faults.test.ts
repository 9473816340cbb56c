import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CreateVpcCommand, DeleteVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ListClustersCommand } from '@aws-sdk/client-eks';
import { aws, gatewayAdmin } from '../helpers/sandbox.js';

after(() => gatewayAdmin('DELETE', 'faults'));

test('a fault injected on a named call fails exactly that call, once', async () => {
  await gatewayAdmin('POST', 'faults', { service: 'ec2', operation: 'CreateVpc', mode: 'once', error: 'Throttling' });
  // Another operation of the same service is untouched.
  await aws.ec2.send(new DescribeVpcsCommand({}));
  await assert.rejects(aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })), (err: Error) => {
    assert.equal(err.name, 'Throttling');
    return true;
  });
  const { Vpc } = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  assert.ok(Vpc?.VpcId, 'the second call succeeds: a once-fault is used up');
  await aws.ec2.send(new DeleteVpcCommand({ VpcId: Vpc.VpcId }));
});

test('an always-fault keeps failing a REST-protocol call with its own error shape until cleared', async () => {
  await gatewayAdmin('POST', 'faults', {
    service: 'eks',
    operation: 'ListClusters',
    mode: 'always',
    error: 'AccessDeniedException',
  });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(aws.eks.send(new ListClustersCommand({})), { name: 'AccessDeniedException' });
  }
  await gatewayAdmin('DELETE', 'faults');
  const { clusters } = await aws.eks.send(new ListClustersCommand({}));
  assert.ok(Array.isArray(clusters));
});

test('a rate fault fails about its share of calls', async () => {
  await gatewayAdmin('POST', 'faults', { operation: 'DescribeVpcs', mode: 'rate', rate: 0.5, error: 'InternalError' });
  let failed = 0;
  for (let i = 0; i < 60; i++) {
    await aws.ec2.send(new DescribeVpcsCommand({})).catch(() => failed++);
  }
  await gatewayAdmin('DELETE', 'faults');
  assert.ok(failed > 10 && failed < 50, `expected about 30 of 60 calls to fail, got ${failed}`);
});
