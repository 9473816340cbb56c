// The lab's Route53 cleanup against the strict sandbox: it deletes exactly the records its
// ExternalDNS owner id owns (never the zone's SOA/NS, another lab's or a user's), finds and
// tags a zone it made whose tag call was lost, and a missing zone fails validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { labTag } from '../../activities/cloudformation.js';
import { findLeftovers } from '../../activities/leaks.js';
import { deleteDnsTest } from '../../activities/phases/externaldns.js';
import { createZone } from '../../activities/route53.js';
import { validateSpec, type SpecProblem } from '../../lab/spec.js';
import { moto } from '../../sandbox/cloud/aws.js';
import { labActivities, sandboxSpec } from '../helpers/lab.js';
import { aws, gatewayAdmin, target, unique } from '../helpers/sandbox.js';

// Read from moto directly: the gateway answers in small pages, and the test wants the whole zone.
const records = async (zoneId: string): Promise<ResourceRecordSet[]> =>
  (await moto.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
const txt = (name: string, value: string): ResourceRecordSet => ({
  Name: name,
  Type: 'TXT',
  TTL: 300,
  ResourceRecords: [{ Value: `"${value}"` }],
});
const a = (name: string, ip: string): ResourceRecordSet => ({
  Name: name,
  Type: 'A',
  TTL: 300,
  ResourceRecords: [{ Value: ip }],
});
const registry = (owner: string, service: string): string =>
  `heritage=external-dns,external-dns/owner=${owner},external-dns/resource=service/default/${service}`;
const specFor = (labId: string, domain: string) => validateSpec(sandboxSpec({ labId, domain })).spec!;
const zonesNamed = async (domain: string) =>
  ((await aws.route53.send(new ListHostedZonesByNameCommand({ DNSName: domain }))).HostedZones ?? []).filter(
    (z) => z.Name === `${domain}.`,
  );

test("cleanup deletes only the lab's own ExternalDNS records: never the apex SOA/NS, another lab's or a user's", async () => {
  const labId = unique('laba');
  const domain = `${labId}.example.com`;
  const d = `${domain}.`;
  const { HostedZone } = await aws.route53.send(
    new CreateHostedZoneCommand({ Name: domain, CallerReference: `user-${domain}` }),
  );
  const zoneId = HostedZone!.Id!;
  const labs = [txt(`a-tetris.${d}`, registry(labId, 'tetris')), a(`tetris.${d}`, '192.0.2.1')];
  const others = [
    // Another lab whose id starts with this one's, in ExternalDNS's old format (TXT at the record's name).
    txt(`game.${d}`, registry(`${labId}-2`, 'game')),
    a(`game.${d}`, '192.0.2.2'),
    // The user's: a plain record, a record whose name ends like the lab's, and a TXT that mentions the owner.
    a(`www.${d}`, '192.0.2.3'),
    a(`my-tetris.${d}`, '192.0.2.4'),
    txt(`notes.${d}`, `external-dns/owner=${labId} was here`),
  ];
  // Made in moto directly, as ExternalDNS and the user would have left them.
  await moto.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [...labs, ...others].map((r) => ({ Action: 'CREATE', ResourceRecordSet: r })) },
    }),
  );
  const before = await records(zoneId);
  try {
    await deleteDnsTest(target, undefined, specFor(labId, domain));
    const left = await records(zoneId);
    assert.deepEqual(
      left,
      before.filter((r) => !labs.some((l) => l.Name === r.Name && l.Type === r.Type)),
      "exactly the lab's two records are gone",
    );
    assert.deepEqual(await findLeftovers(target, labId, domain), []);
    assert.equal((await zonesNamed(domain)).length, 1, "the user's zone stays");
  } finally {
    const left = (await records(zoneId)).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');
    if (left.length)
      await aws.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: left.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
        }),
      );
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  }
});

test('a lab-made zone whose tag call or create answer was lost ends tagged, made once, and deleted by the lab', async () => {
  // The tag call fails on every SDK retry of the first attempt (lost, or done but its answer lost);
  // the create's answer is lost once (the SDK's retry then meets HostedZoneAlreadyExists).
  const lost = [
    { operation: 'ChangeTagsForResource', after: false, mode: 'always' },
    { operation: 'ChangeTagsForResource', after: true, mode: 'always' },
    { operation: 'CreateHostedZone', after: true, mode: 'once' },
  ];
  for (const fault of lost) {
    const labId = unique('lost');
    const domain = `${labId}.example.com`;
    await gatewayAdmin('POST', 'faults', { ...fault, service: 'route53' });
    try {
      await createZone(target, domain, labId).catch(() => undefined); // the first attempt may fail
      await gatewayAdmin('DELETE', 'faults');
      const id = await createZone(target, domain, labId); // the activity's retry
      const zones = await zonesNamed(domain);
      assert.deepEqual(
        zones.map((z) => z.Id!.replace('/hostedzone/', '')),
        [id],
        `${fault.operation}: one zone, made once`,
      );
      const { ResourceTagSet } = await aws.route53.send(
        new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: id }),
      );
      assert.ok(
        ResourceTagSet?.Tags?.some((t) => t.Key === labTag && t.Value === labId),
        `${fault.operation}: tagged`,
      );
      await deleteDnsTest(target, undefined, specFor(labId, domain));
      assert.deepEqual(await zonesNamed(domain), [], `${fault.operation}: the lab deleted its zone`);
      assert.deepEqual(await findLeftovers(target, labId, domain), []);
    } finally {
      await gatewayAdmin('DELETE', 'faults');
      for (const z of await zonesNamed(domain))
        await aws.route53.send(new DeleteHostedZoneCommand({ Id: z.Id })).catch(() => undefined);
    }
  }
});

test('--domain with no public zone and createZone false is InvalidSpec at validation, naming the field and the fix', async () => {
  const domain = `${unique('nozone')}.example.com`;
  const zonesBefore = (await aws.route53.send(new ListHostedZonesCommand({}))).HostedZones;
  const input = sandboxSpec({ domain, createZone: false, phases: ['lbController', 'externalDns'] });
  const failure = await labActivities.validateLab(input).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(failure instanceof ApplicationFailure, 'validation fails');
  assert.equal(failure.type, 'InvalidSpec');
  assert.equal(failure.nonRetryable, true);
  const problems = failure.details?.[0] as SpecProblem[];
  const problem = problems.find((p) => p.field === 'domain');
  assert.ok(problem, 'the problem names the field domain');
  assert.match(problem.message, new RegExp(`no public Route53 hosted zone ${domain}.*create a public hosted zone`));
  assert.deepEqual((await aws.route53.send(new ListHostedZonesCommand({}))).HostedZones, zonesBefore, 'nothing made');
  assert.deepEqual(await findLeftovers(target, String(input.labId), domain), []);
  // Without the ExternalDNS phase, or when the lab is to create the zone, the domain needs no zone.
  await labActivities.validateLab({ ...input, phases: ['lbController'] });
  await labActivities.validateLab({ ...input, createZone: true });
});

test("an activity attempt that finds its run's zone deleted by an earlier attempt makes a new one", async () => {
  // At ten labs at once a DNS test timed out after it had made and deleted its zone; the retry's
  // create met HostedZoneAlreadyExists (the reference was the run's) and the lab failed.
  const labId = unique('again');
  const domain = `${labId}.example.com`;
  const inAttempt = (attempt: number) =>
    new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: labId, runId: `run-${labId}` } });
  try {
    const first: string = await inAttempt(1).run(createZone, target, domain, labId);
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: first }));
    const second: string = await inAttempt(2).run(createZone, target, domain, labId);
    assert.notEqual(second, first);
    assert.deepEqual(
      (await zonesNamed(domain)).map((z) => z.Id!.replace('/hostedzone/', '')),
      [second],
    );
  } finally {
    for (const z of await zonesNamed(domain))
      await aws.route53.send(new DeleteHostedZoneCommand({ Id: z.Id })).catch(() => undefined);
  }
});
