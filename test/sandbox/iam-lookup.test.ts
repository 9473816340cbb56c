// The lab's IAM look-ups hold in an account with more policies than one ListPolicies page: a
// retried ensureIrsaRole finds its own policy (by exact ARN), the leak check sees it, and deleteIam
// removes it. Reading one page by name prefix missed it (retry: EntityAlreadyExists; a leak).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreatePolicyCommand, DeletePolicyCommand, GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { deleteIam, ensureIrsaRole, labIamResources } from '../../activities/iam.js';
import { endpoints, sandboxCredentials, sandboxRegion } from '../../sandbox/config.js';
import { target, unique } from '../helpers/sandbox.js';

const labId = unique('iamlookup');
// Straight to moto: these are the account's other policies, not the lab's calls.
const moto = new IAMClient({ endpoint: endpoints.moto, region: sandboxRegion, credentials: sandboxCredentials });
// More than ListPolicies' largest page (MaxItems 1000), listed before the lab's own policy
// (moto lists policies by name).
const others = Array.from({ length: 1001 }, (_, i) => `another-${labId}-${i}`);
const otherArns: string[] = [];
// The trust policy needs a provider only as a name; no cluster is needed to look policies up.
const oidc = {
  arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.example/id/LOOKUP',
  issuerHost: 'oidc.example/id/LOOKUP',
};
const document = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'route53:ListHostedZones', Resource: '*' }],
});

before(async () => {
  for (let i = 0; i < others.length; i += 50) {
    const made = await Promise.all(
      others
        .slice(i, i + 50)
        .map((PolicyName) => moto.send(new CreatePolicyCommand({ PolicyName, PolicyDocument: document }))),
    );
    otherArns.push(...made.map((m) => m.Policy!.Arn!));
  }
});

after(async () => {
  await deleteIam(target, labId).catch(() => undefined);
  for (let i = 0; i < otherArns.length; i += 50)
    await Promise.all(otherArns.slice(i, i + 50).map((PolicyArn) => moto.send(new DeletePolicyCommand({ PolicyArn }))));
});

test('a retried ensureIrsaRole finds its policy past the first page; the leak check sees it; deleteIam removes it', async () => {
  const first = await ensureIrsaRole(target, labId, 'externalDns', oidc);
  const retry = await ensureIrsaRole(target, labId, 'externalDns', oidc);
  assert.equal(retry.policyArn, first.policyArn, 'the retry reuses the policy it made');

  const left = await labIamResources(target, labId);
  assert.ok(
    left.some((r) => r.kind === 'iam-policy' && r.id === first.policyArn),
    `the leak check lists the policy: ${JSON.stringify(left)}`,
  );

  await deleteIam(target, labId);
  await assert.rejects(moto.send(new GetPolicyCommand({ PolicyArn: first.policyArn })), {
    name: 'NoSuchEntityException',
  });
  assert.deepEqual(await labIamResources(target, labId), []);
});
