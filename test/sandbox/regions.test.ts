// An opt-in region the account has not enabled refuses every call, each service in its own
// protocol's words, as AWS refuses the account's credentials there; an enabled region answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientOptions } from '../../activities/target.js';
import { target } from '../helpers/sandbox.js';

const inRegion = { ...awsClientOptions(target), region: 'ap-east-1', maxAttempts: 1 };

const refusal = (call: Promise<unknown>): Promise<{ name: string; status?: number }> =>
  call.then(
    () => assert.fail('the call was answered'),
    (err: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: err.name,
      status: err.$metadata?.httpStatusCode,
    }),
  );

test('calls in ap-east-1 (not enabled) are refused: EC2 AuthFailure, STS InvalidClientTokenId, EKS UnrecognizedClientException', async () => {
  assert.deepEqual(await refusal(new EC2Client(inRegion).send(new DescribeRegionsCommand({}))), {
    name: 'AuthFailure',
    status: 401,
  });
  assert.deepEqual(await refusal(new STSClient(inRegion).send(new GetCallerIdentityCommand({}))), {
    name: 'InvalidClientTokenId',
    status: 403,
  });
  assert.deepEqual(await refusal(new EKSClient(inRegion).send(new ListClustersCommand({}))), {
    name: 'UnrecognizedClientException',
    status: 403,
  });
  const enabled = new EC2Client({ ...inRegion, region: 'us-east-1' });
  const { Regions = [] } = await enabled.send(new DescribeRegionsCommand({ AllRegions: true }));
  assert.equal(Regions.find((r) => r.RegionName === 'ap-east-1')?.OptInStatus, 'not-opted-in');
});
