// Temporary credentials the sandbox's STS issued stop working at their expiry, as AWS's do: a
// call with them is refused with ExpiredToken in the service's protocol, whether or not the
// gateway still holds the session (it forgets expired ones), and never waved through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IamEnforcement, tokenWithExpiry } from '../../sandbox/cloud/iam-enforcement.js';
import type { AwsCall } from '../../sandbox/cloud/protocol.js';

const iam = new IamEnforcement(
  () => undefined,
  () => undefined,
);
const call = (service: string, operation: string): AwsCall => ({
  service,
  operation,
  method: 'POST',
  path: '/',
  query: new URLSearchParams(),
  body: Buffer.from(`Action=${operation}`),
});
const signedBy = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=ASIAFORGOTTEN/20260101/ap-northeast-2/${service}/aws4_request, SignedHeaders=host, Signature=0`;

test('credentials past their expiry are refused with ExpiredToken though the gateway holds no session for them', async () => {
  const expired = tokenWithExpiry('session-token', Date.now() - 1_000);
  const ec2 = await iam.check(call('ec2', 'AssignPrivateIpAddresses'), signedBy('ec2'), expired);
  assert.equal(ec2?.status, 403);
  assert.match(
    String(ec2?.body),
    /<Code>ExpiredToken<\/Code><Message>The security token included in the request is expired/,
  );
  const eks = await iam.check(call('eks', 'ListClusters'), signedBy('eks'), expired);
  assert.equal(eks?.headers['x-amzn-errortype'], 'ExpiredTokenException');
});

test('credentials not yet expired that the gateway did not issue pass to the service unchecked', async () => {
  const current = tokenWithExpiry('session-token', Date.now() + 60_000);
  assert.equal(await iam.check(call('ec2', 'DescribeRegions'), signedBy('ec2'), current), undefined);
});
