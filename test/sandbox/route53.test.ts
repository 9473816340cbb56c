// Route53 in the sandbox is as strict as AWS: change batches are refused whole, a CallerReference
// is used once, and the account's request rate is five per second.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { records as recordsOf, recordsNamed } from '../../activities/route53.js';
import { aws, gatewayAdmin, singleAttempt, target, unique } from '../helpers/sandbox.js';

const domain = `${unique('r53')}.example.com`;
let zoneId: string;

const records = async (): Promise<ResourceRecordSet[]> =>
  (await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
const change = (Changes: Change[]) =>
  aws.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes } }));
const a = (name: string, ip: string, TTL = 300): ResourceRecordSet => ({
  Name: `${name}.${domain}.`,
  Type: 'A',
  TTL,
  ResourceRecords: [{ Value: ip }],
});

before(async () => {
  const { HostedZone } = await aws.route53.send(
    new CreateHostedZoneCommand({ Name: domain, CallerReference: `ref-${domain}` }),
  );
  zoneId = HostedZone!.Id!;
  await change([{ Action: 'CREATE', ResourceRecordSet: a('www', '192.0.2.1') }]);
});

after(async () => {
  const left = (await records()).filter((r) => !['SOA', 'NS'].includes(r.Type!));
  if (left.length) await change(left.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })));
  await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
});

test('a change batch that cannot apply whole is refused with InvalidChangeBatch, and none of it is applied', async () => {
  const before = await records();
  const apex = (type: string) => before.find((r) => r.Type === type && r.Name === `${domain}.`)!;
  const fresh = { Action: 'CREATE', ResourceRecordSet: a('fresh', '192.0.2.9') } as const;
  const refused: [string, Change, RegExp][] = [
    ['deleting the apex SOA', { Action: 'DELETE', ResourceRecordSet: apex('SOA') }, /exactly one SOA record/],
    ['deleting the apex NS', { Action: 'DELETE', ResourceRecordSet: apex('NS') }, /at least one NS record/],
    [
      'deleting a record that does not exist',
      { Action: 'DELETE', ResourceRecordSet: a('nothing', '192.0.2.1') },
      /but it was not found/,
    ],
    [
      'deleting a record with another TTL than it has',
      { Action: 'DELETE', ResourceRecordSet: a('www', '192.0.2.1', 60) },
      /values provided do not match the current values/,
    ],
    [
      'deleting a record with other values than it has',
      { Action: 'DELETE', ResourceRecordSet: a('www', '192.0.2.2') },
      /values provided do not match the current values/,
    ],
    [
      'creating a record that exists',
      { Action: 'CREATE', ResourceRecordSet: a('www', '192.0.2.1') },
      /Tried to create resource record set \[name='www\..*', type='A'\] but it already exists/,
    ],
  ];
  for (const [what, bad, message] of refused) {
    // A valid change first: Route53 applies all of a batch or none of it.
    await assert.rejects(
      change([fresh, bad]),
      (err: Error) => err.name === 'InvalidChangeBatch' && message.test(err.message),
      what,
    );
    assert.deepEqual(await records(), before, `${what}: nothing applied`);
  }
  // A delete that gives the record exactly as it is goes through, as does a delete and create of one name in a batch.
  await change([
    { Action: 'DELETE', ResourceRecordSet: a('www', '192.0.2.1') },
    { Action: 'CREATE', ResourceRecordSet: a('www', '192.0.2.7') },
  ]);
  assert.deepEqual((await records()).find((r) => r.Name === `www.${domain}.`)?.ResourceRecords, [
    { Value: '192.0.2.7' },
  ]);
});

test('CreateHostedZone with a CallerReference used before is HostedZoneAlreadyExists, even once that zone is deleted', async () => {
  const reference = `ref-${unique('once')}`;
  await assert.rejects(
    aws.route53.send(new CreateHostedZoneCommand({ Name: `other-${domain}`, CallerReference: `ref-${domain}` })),
    { name: 'HostedZoneAlreadyExists' },
  );
  const { HostedZone } = await aws.route53.send(
    new CreateHostedZoneCommand({ Name: `once-${domain}`, CallerReference: reference }),
  );
  await aws.route53.send(new DeleteHostedZoneCommand({ Id: HostedZone!.Id }));
  const zonesBefore = (await aws.route53.send(new ListHostedZonesCommand({}))).HostedZones?.length;
  await assert.rejects(
    aws.route53.send(new CreateHostedZoneCommand({ Name: `once-${domain}`, CallerReference: reference })),
    { name: 'HostedZoneAlreadyExists' },
  );
  assert.equal((await aws.route53.send(new ListHostedZonesCommand({}))).HostedZones?.length, zonesBefore);
});

test("beyond the account's request rate Route53 answers Throttling (400, Rate exceeded); the rate is set on the admin route", async () => {
  assert.deepEqual(await gatewayAdmin('GET', 'route53'), { requestsPerSecond: 5 }, 'AWS: five per second');
  // A client that does not retry, to see each answer.
  const once = new Route53Client(singleAttempt);
  await gatewayAdmin('PUT', 'route53', { requestsPerSecond: 2 });
  try {
    const answers = await Promise.allSettled(
      Array.from({ length: 10 }, () => once.send(new ListHostedZonesCommand({}))),
    );
    const refused = answers
      .filter((r) => r.status === 'rejected')
      .map((r) => r.reason as Error & { $metadata: { httpStatusCode: number } });
    assert.ok(refused.length >= 5, `${refused.length} of 10 throttled`);
    for (const err of refused) {
      assert.equal(err.name, 'Throttling');
      assert.equal(err.message, 'Rate exceeded');
      assert.equal(err.$metadata.httpStatusCode, 400);
    }
  } finally {
    await gatewayAdmin('PUT', 'route53', { requestsPerSecond: 5 });
  }
  await assert.rejects(
    gatewayAdmin('PUT', 'route53', { requestsPerSecond: 0 }),
    /requestsPerSecond must be a number > 0/,
  );
});

test("the lab's own Route53 calls keep to the worker's share of the account's rate, so ExternalDNS's calls are not refused", async () => {
  // Ten labs waiting for their records at once: the calls one worker makes together.
  const bystander = new Route53Client(singleAttempt);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // an empty rate window
  let labsDone = false;
  const labs = Promise.all(Array.from({ length: 10 }, () => recordsOf(target, zoneId))).finally(
    () => (labsDone = true),
  );
  // Standing in for ExternalDNS: one call a second, no retries.
  const refused: string[] = [];
  let calls = 0;
  while (!labsDone) {
    calls++;
    await bystander
      .send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))
      .catch((err: Error) => refused.push(err.name));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.equal((await labs).length, 10);
  assert.ok(calls >= 3, `${calls} calls beside the labs'`);
  assert.deepEqual(refused, []);
});

test('the records at one name come from one request starting at that name, and only that name', async () => {
  await change([
    { Action: 'CREATE', ResourceRecordSet: a('one', '192.0.2.11') },
    { Action: 'CREATE', ResourceRecordSet: a('one2', '192.0.2.12') },
  ]);
  const names = async (name: string) =>
    (await recordsNamed(target, zoneId, name)).map((r) => `${r.Name} ${r.Type} ${r.ResourceRecords?.[0]?.Value}`);
  assert.deepEqual(await names(`one.${domain}`), [`one.${domain}. A 192.0.2.11`]);
  assert.deepEqual(await names(`one2.${domain}`), [`one2.${domain}. A 192.0.2.12`]);
  assert.deepEqual(await names(`absent.${domain}`), []);
});
