// On AWS, labs share the user's zone: a nightly schedule and a person's lab can run at once.
// Each lab's ExternalDNS gets a record of its own (ExternalDNS leaves a name another owner holds
// alone), and neither leaves a record behind in the zone, which stays the user's. A lab that
// makes its zone never takes another lab's zone of the same name for it: that lab deletes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { runLab, sandboxSpec } from '../helpers/lab.js';
import { aws, unique } from '../helpers/sandbox.js';

test('two labs at once in one zone each get their own record and leave the zone as they found it', async () => {
  const domain = `${unique('shared')}.example.com`;
  const { HostedZone } = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: domain }));
  const zoneId = HostedZone!.Id!;
  try {
    const specs = ['za', 'zb'].map((prefix) =>
      sandboxSpec({ labId: unique(prefix), phases: ['lbController', 'externalDns'], domain, createZone: false }),
    );
    const outcomes = await Promise.all(specs.map((spec) => runLab(spec)));
    outcomes.forEach((o, i) => {
      assert.equal(o.report.outcome, 'passed', `${specs[i]!.labId}: ${o.report.error}`);
      assert.equal(o.report.dns?.zoneCreated, false);
    });
    const names = outcomes.map((o) => o.report.dns?.recordName);
    assert.equal(new Set(names).size, 2, `one record name for both labs: ${names.join(', ')}`);
    const left = (await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })))
      .ResourceRecordSets!.filter((r) => r.Type !== 'NS' && r.Type !== 'SOA')
      .map((r) => `${r.Name} ${r.Type}`);
    assert.deepEqual(left, []);
  } finally {
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  }
});

test("a lab that makes its zone makes its own beside another lab's zone of the same name, and leaves that one alone", async () => {
  const domain = `${unique('twin')}.example.com`;
  // Standing in for a lab running beside this one: its zone, made with a lab's CallerReference.
  const { HostedZone } = await aws.route53.send(
    new CreateHostedZoneCommand({ Name: domain, CallerReference: `eks-netlab/other-lab/${domain}` }),
  );
  const otherZone = HostedZone!.Id!.replace('/hostedzone/', '');
  try {
    const { report } = await runLab(sandboxSpec({ phases: ['lbController', 'externalDns'], domain, createZone: true }));
    assert.equal(report.outcome, 'passed', report.error);
    assert.equal(report.dns?.zoneCreated, true);
    assert.notEqual(report.dns?.zoneId, otherZone);
    const other = await aws.route53.send(new GetHostedZoneCommand({ Id: otherZone }));
    assert.equal(other.HostedZone?.ResourceRecordSetCount, 2, 'the other zone holds only its NS and SOA');
  } finally {
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: otherZone }));
  }
});
