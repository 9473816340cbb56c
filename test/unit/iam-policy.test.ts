// The gateway's IAM evaluation of the LB controller's calls, without a sandbox: a CreateListener
// that tags the listener needs AddTags on the listener, which the old trimmed policy lacks and
// upstream's policy grants; tag-on-create of a load balancer needs the cluster tag.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { allows, type PolicyDocument } from '../../sandbox/cloud/iam-enforcement.js';
import { callResources } from '../../sandbox/cloud/iam-resources.js';
import type { AwsCall } from '../../sandbox/cloud/protocol.js';

const policy = (url: URL): PolicyDocument => JSON.parse(readFileSync(url, 'utf8')) as PolicyDocument;
const upstream = policy(new URL('../../activities/templates/lbc-iam-policy.json', import.meta.url));
const trimmed = policy(new URL('../fixtures/lbc-iam-policy-trimmed.json', import.meta.url));
const scope = { region: 'ap-northeast-2', account: '123456789012' };
const principal = 'arn:aws:sts::123456789012:assumed-role/lab-lbController/controller';
const lbArn =
  'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/k8s-default-tetris/0123456789abcdef';

const elbCall = (params: Record<string, string>): AwsCall => ({
  service: 'elasticloadbalancing',
  operation: params.Action!,
  method: 'POST',
  path: '/',
  query: new URLSearchParams(),
  body: Buffer.from(new URLSearchParams({ Version: '2015-12-01', ...params }).toString()),
});

const allowedWith = async (document: PolicyDocument, call: AwsCall): Promise<string[]> => {
  const checks = await callResources(call, scope);
  assert.ok(checks, `${call.operation} is mapped`);
  return checks
    .filter((c) => !allows([document], c.action, c.resource, scope.account, principal, c.context))
    .map((c) => `${c.action} ${c.resource.replace(/\/[0-9a-f]{16}$/, '/<new>')}`);
};

test('CreateListener with tags: refused by the trimmed policy at AddTags on the listener, allowed by upstream', async () => {
  const call = elbCall({
    Action: 'CreateListener',
    LoadBalancerArn: lbArn,
    Protocol: 'TCP',
    Port: '80',
    'Tags.member.1.Key': 'elbv2.k8s.aws/cluster',
    'Tags.member.1.Value': 'lab',
  });
  assert.deepEqual(await allowedWith(trimmed, call), [
    'elasticloadbalancing:AddTags arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:listener/net/k8s-default-tetris/0123456789abcdef/<new>',
  ]);
  assert.deepEqual(await allowedWith(upstream, call), []);
});

test("CreateLoadBalancer: upstream's policy wants the elbv2.k8s.aws/cluster tag on it", async () => {
  const base = { Action: 'CreateLoadBalancer', Name: 'k8s-default-tetris', Type: 'network' };
  const tagged = elbCall({ ...base, 'Tags.member.1.Key': 'elbv2.k8s.aws/cluster', 'Tags.member.1.Value': 'lab' });
  assert.deepEqual(await allowedWith(upstream, tagged), []);
  const untagged = elbCall({ ...base, 'Tags.member.1.Key': 'other', 'Tags.member.1.Value': 'x' });
  assert.deepEqual((await allowedWith(upstream, untagged)).length, 2, 'neither the create nor its tags');
});
