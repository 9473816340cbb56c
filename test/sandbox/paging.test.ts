// Every service the lab lists answers in small pages through the gateway, each in its own
// words (IAM Marker/IsTruncated, ELBv2 NextMarker, CloudFormation NextToken, Route53
// NextMarker), and the SDK's paginators read them all.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  CreateStackCommand,
  DeleteStackCommand,
  ListStacksCommand,
  paginateListStacks,
} from '@aws-sdk/client-cloudformation';
import { CreateVpcCommand, DeleteVpcCommand } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupsCommand,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  IAMClient,
  ListRolesCommand,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  paginateListHostedZones,
  type RRType,
} from '@aws-sdk/client-route-53';
import { awsClientOptions } from '../../activities/target.js';
import { aws, target, unique } from '../helpers/sandbox.js';

const iam = new IAMClient(awsClientOptions(target));
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
});

async function all<P, T>(pages: AsyncIterable<P>, items: (p: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

test('IAM ListRoles: pages with IsTruncated and Marker', async () => {
  const prefix = unique('pgrole');
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
  for (let i = 0; i < 6; i++) {
    const RoleName = `${prefix}-${i}`;
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust }));
    cleanups.push(() => iam.send(new DeleteRoleCommand({ RoleName })));
  }
  const first = await iam.send(new ListRolesCommand({}));
  assert.equal(first.Roles?.length, 5);
  assert.equal(first.IsTruncated, true);
  assert.ok(first.Marker);
  const names = (await all(paginateListRoles({ client: iam }, {}), (p) => p.Roles)).map((r) => r.RoleName);
  for (let i = 0; i < 6; i++) assert.ok(names.includes(`${prefix}-${i}`));
});

test('Route53 ListHostedZones: pages with IsTruncated and NextMarker', async () => {
  const prefix = unique('pgzone');
  for (let i = 0; i < 6; i++) {
    const { HostedZone } = await aws.route53.send(
      new CreateHostedZoneCommand({ Name: `${prefix}-${i}.example.`, CallerReference: `${prefix}-${i}` }),
    );
    cleanups.push(() => aws.route53.send(new DeleteHostedZoneCommand({ Id: HostedZone!.Id })));
  }
  const first = await aws.route53.send(new ListHostedZonesCommand({}));
  assert.equal(first.HostedZones?.length, 5);
  assert.equal(first.IsTruncated, true);
  assert.ok(first.NextMarker);
  const names = (await all(paginateListHostedZones({ client: aws.route53 }, {}), (p) => p.HostedZones)).map(
    (z) => z.Name,
  );
  for (let i = 0; i < 6; i++) assert.ok(names.includes(`${prefix}-${i}.example.`));
});

test('ELBv2 DescribeTargetGroups: pages with NextMarker', async () => {
  const prefix = unique('pgtg').slice(-20);
  const { Vpc } = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }));
  cleanups.push(() => aws.ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId })));
  for (let i = 0; i < 6; i++) {
    const { TargetGroups = [] } = await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${prefix}-${i}`,
        Protocol: 'TCP',
        Port: 80,
        VpcId: Vpc!.VpcId,
        TargetType: 'ip',
      }),
    );
    cleanups.push(() =>
      aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: TargetGroups[0]!.TargetGroupArn })),
    );
  }
  const first = await aws.elbv2.send(new DescribeTargetGroupsCommand({}));
  assert.equal(first.TargetGroups?.length, 5);
  assert.ok(first.NextMarker);
  const names = (await all(paginateDescribeTargetGroups({ client: aws.elbv2 }, {}), (p) => p.TargetGroups)).map(
    (t) => t.TargetGroupName,
  );
  for (let i = 0; i < 6; i++) assert.ok(names.includes(`${prefix}-${i}`));
});

test('CloudFormation ListStacks: pages with NextToken', async () => {
  const prefix = unique('pgstack');
  const template = JSON.stringify({ Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } });
  for (let i = 0; i < 6; i++) {
    const StackName = `${prefix}-${i}`;
    await aws.cloudformation.send(new CreateStackCommand({ StackName, TemplateBody: template }));
    cleanups.push(() => aws.cloudformation.send(new DeleteStackCommand({ StackName })));
  }
  const first = await aws.cloudformation.send(new ListStacksCommand({}));
  assert.equal(first.StackSummaries?.length, 5);
  assert.ok(first.NextToken);
  const names = (await all(paginateListStacks({ client: aws.cloudformation }, {}), (p) => p.StackSummaries)).map(
    (s) => s.StackName,
  );
  for (let i = 0; i < 6; i++) assert.ok(names.includes(`${prefix}-${i}`));
});

test('Route53 ListResourceRecordSets: pages that end with NextRecordName/NextRecordType', async () => {
  const zoneName = `${unique('pgrr')}.example.`;
  const { HostedZone } = await aws.route53.send(
    new CreateHostedZoneCommand({ Name: zoneName, CallerReference: zoneName }),
  );
  const names = Array.from({ length: 8 }, (_, i) => `r${i}.${zoneName}`);
  await aws.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: HostedZone!.Id,
      ChangeBatch: {
        Changes: names.map((Name) => ({
          Action: 'CREATE',
          ResourceRecordSet: { Name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
        })),
      },
    }),
  );
  cleanups.push(async () => {
    await aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: HostedZone!.Id,
        ChangeBatch: {
          Changes: names.map((Name) => ({
            Action: 'DELETE',
            ResourceRecordSet: { Name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
          })),
        },
      }),
    );
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: HostedZone!.Id }));
  });
  const seen: string[] = [];
  let start: { StartRecordName?: string; StartRecordType?: RRType } = {};
  let pages = 0;
  for (;;) {
    const page = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: HostedZone!.Id, ...start }));
    pages++;
    assert.ok((page.ResourceRecordSets ?? []).length <= 5);
    seen.push(...(page.ResourceRecordSets ?? []).map((r) => `${r.Name} ${r.Type}`));
    if (!page.IsTruncated) break;
    start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType };
  }
  assert.equal(pages, 2, 'SOA, NS and 8 records make two pages of 5');
  for (const name of names) assert.ok(seen.includes(`${name} A`), `${name} is listed`);
  assert.equal(new Set(seen).size, seen.length, 'no record on two pages');
});
