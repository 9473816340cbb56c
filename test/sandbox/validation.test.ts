// The gateway checks every request against AWS's published service models (botocore's, from the
// moto virtualenv): a name over AWS's length limit is refused the way the service refuses it, and
// nothing is made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, paginateListRoles } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { awsClientOptions } from '../../activities/target.js';
import { aws, target, unique } from '../helpers/sandbox.js';

const iam = new IAMClient(awsClientOptions(target));
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const roleNames = async (prefix: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const page of paginateListRoles({ client: iam }, {}))
    out.push(...(page.Roles ?? []).map((r) => r.RoleName!).filter((n) => n.startsWith(prefix)));
  return out;
};

test('an IAM role name over 64 characters is a ValidationError and makes no role; 64 is accepted', async () => {
  const prefix = unique('val');
  const name = (length: number): string => prefix + 'x'.repeat(length - prefix.length);
  await assert.rejects(iam.send(new CreateRoleCommand({ RoleName: name(65), AssumeRolePolicyDocument: trust })), {
    name: 'ValidationError',
    message: `1 validation error detected: Value '${name(65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  });
  assert.deepEqual(await roleNames(prefix), [], 'nothing made');
  await iam.send(new CreateRoleCommand({ RoleName: name(64), AssumeRolePolicyDocument: trust }));
  assert.deepEqual(await roleNames(prefix), [name(64)]);
  await iam.send(new DeleteRoleCommand({ RoleName: name(64) }));
});

test('a Route53 CallerReference over 128 characters is InvalidInput and makes no zone', async () => {
  const zones = async () => (await aws.route53.send(new ListHostedZonesCommand({}))).HostedZones?.length;
  const before = await zones();
  await assert.rejects(
    aws.route53.send(
      new CreateHostedZoneCommand({ Name: `${unique('val')}.example.com`, CallerReference: 'r'.repeat(129) }),
    ),
    (err: Error) => err.name === 'InvalidInput' && /at 'callerReference' .*less than or equal to 128/.test(err.message),
  );
  assert.equal(await zones(), before, 'nothing made');
});
