// Route53 ownership as the lab reads it (ExternalDNS's TXT registry, parsed exactly; names matched
// label by label), and the sandbox's change-batch rules, without a sandbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { externalDnsOwner, labIdOfReference, ownedRecordsOf } from '../../activities/route53.js';
import { changeBatchProblems, inZone } from '../../sandbox/cloud/route53.js';

const zone = 'lab.example.com.';
const rr = (Name: string, Type: ResourceRecordSet['Type'], value: string): ResourceRecordSet => ({
  Name,
  Type,
  TTL: 300,
  ResourceRecords: [{ Value: value }],
});
const names = (rs: ResourceRecordSet[]): string[] => rs.map((r) => `${r.Name} ${r.Type}`);
const owner = (id: string): string =>
  `"heritage=external-dns,external-dns/owner=${id},external-dns/resource=service/default/x"`;

test("the owner id is read exactly from ExternalDNS's registry value, and only from it", () => {
  assert.equal(externalDnsOwner(owner('lab-a')), 'lab-a');
  assert.equal(externalDnsOwner('"heritage=external-dns,external-dns/owner=lab-a-2"'), 'lab-a-2');
  assert.equal(externalDnsOwner('"external-dns/owner=lab-a"'), undefined, 'no heritage');
  assert.equal(externalDnsOwner('"v=spf1 include:external-dns/owner=lab-a"'), undefined);
});

test("a lab owns its registry records and the records they name, never the apex, another lab's or a user's", () => {
  const all = [
    rr(zone, 'SOA', 'ns-1. hostmaster. 1 7200 900 1209600 86400'),
    rr(zone, 'NS', 'ns-1.'),
    rr(`a-tetris.${zone}`, 'TXT', owner('lab-a')), // new format: <type>-<name>
    rr(`tetris.${zone}`, 'A', '192.0.2.1'),
    rr(`tetris.${zone}`, 'AAAA', '2001:db8::1'), // another type at the name: not named by an `a-` record
    rr(`game.${zone}`, 'TXT', owner('lab-a')), // old format: the record's own name
    rr(`game.${zone}`, 'CNAME', 'lb.example.net'),
    rr(`a-tetris2.${zone}`, 'TXT', owner('lab-a-2')),
    rr(`tetris2.${zone}`, 'A', '192.0.2.2'),
    rr(`my-tetris.${zone}`, 'A', '192.0.2.3'),
    rr(`www.${zone}`, 'A', '192.0.2.4'),
  ];
  assert.deepEqual(names(ownedRecordsOf(all, 'lab-a')), [
    `a-tetris.${zone} TXT`,
    `tetris.${zone} A`,
    `game.${zone} TXT`,
    `game.${zone} CNAME`,
  ]);
  assert.deepEqual(names(ownedRecordsOf(all, 'lab-a-2')), [`a-tetris2.${zone} TXT`, `tetris2.${zone} A`]);
  assert.deepEqual(ownedRecordsOf(all, 'lab'), []);
  // A registry record at the apex (ExternalDNS managing the apex) still never yields the zone's SOA/NS.
  const apex = [...all, rr(zone, 'TXT', owner('lab-a')), rr(zone, 'A', '192.0.2.9')];
  assert.deepEqual(
    names(ownedRecordsOf(apex, 'lab-a')).filter((n) => n.startsWith(`${zone} `)),
    [`${zone} TXT`, `${zone} A`],
  );
});

test("the registry value's fields may come in any order, and one value of several may be the registry's", () => {
  assert.equal(
    externalDnsOwner('"external-dns/resource=ingress/default/x,external-dns/owner=lab-a,heritage=external-dns"'),
    'lab-a',
  );
  assert.equal(externalDnsOwner('heritage=external-dns,external-dns/owner=lab-a'), 'lab-a', 'unquoted');
  const txt: ResourceRecordSet = {
    Name: `tetris.${zone}`,
    Type: 'TXT',
    TTL: 300,
    ResourceRecords: [{ Value: '"v=spf1 -all"' }, { Value: owner('lab-a') }],
  };
  assert.deepEqual(names(ownedRecordsOf([txt, rr(`tetris.${zone}`, 'A', '192.0.2.1')], 'lab-a')), [
    `tetris.${zone} TXT`,
    `tetris.${zone} A`,
  ]);
  assert.deepEqual(ownedRecordsOf([txt], 'lab-b'), []);
});

test("a registry record names its record whatever the case and final dot, a wildcard's as well", () => {
  const all = [
    // ExternalDNS writes the names it was given; Route53 answers in lower case with a final dot.
    rr('cname-Game.LAB.example.com', 'TXT', owner('lab-a')),
    rr(`game.${zone}`, 'CNAME', 'lb.example.net'),
    // A wildcard's registry record is `a-*.<rest>`; Route53 lists `*` as \052.
    rr(`a-\\052.apps.${zone}`, 'TXT', owner('lab-a')),
    rr(`\\052.apps.${zone}`, 'A', '192.0.2.5'),
    rr(`\\052.apps.${zone}`, 'AAAA', '2001:db8::5'), // named by no `aaaa-` record
    rr(`x.apps.${zone}`, 'A', '192.0.2.6'), // a name the wildcard covers is not the wildcard record
  ];
  assert.deepEqual(names(ownedRecordsOf(all, 'lab-a')), [
    `cname-Game.LAB.example.com TXT`,
    `game.${zone} CNAME`,
    `a-\\052.apps.${zone} TXT`,
    `\\052.apps.${zone} A`,
  ]);
});

test('a zone made by a lab run is recognised by its CallerReference', () => {
  assert.equal(labIdOfReference('eks-netlab/lab-a/0b7c-run'), 'lab-a');
  assert.equal(labIdOfReference('user-zone-2024'), undefined);
  assert.equal(labIdOfReference(undefined), undefined);
});

test('names are in a zone label by label', () => {
  assert.ok(inZone('a.lab.example.com', zone));
  assert.ok(inZone('LAB.example.com.', zone));
  assert.ok(!inZone('xlab.example.com.', zone));
  assert.ok(!inZone('example.com.', zone));
});

test('a change batch applies in order and must leave the apex SOA and NS', () => {
  const current = [
    { name: zone, type: 'SOA', ttl: '900', values: ['s'] },
    { name: zone, type: 'NS', ttl: '172800', values: ['ns-1.'] },
    { name: `www.${zone}`, type: 'A', ttl: '300', values: ['192.0.2.1', '192.0.2.2'] },
  ];
  const www = { name: `www.${zone}`, type: 'A', ttl: '300', values: ['192.0.2.2', '192.0.2.1'] };
  assert.deepEqual(changeBatchProblems(zone, current, [{ action: 'DELETE', record: www }]), [], 'values in any order');
  assert.deepEqual(
    changeBatchProblems(zone, current, [
      { action: 'DELETE', record: www },
      { action: 'DELETE', record: www },
    ]),
    [`Tried to delete resource record set [name='www.${zone}', type='A'] but it was not found`],
  );
  assert.deepEqual(changeBatchProblems(zone, current, [{ action: 'DELETE', record: current[1]! }]), [
    'A HostedZone must contain at least one NS record for the zone itself.',
  ]);
  assert.deepEqual(
    changeBatchProblems(zone, current, [
      { action: 'DELETE', record: current[1]! },
      { action: 'CREATE', record: { ...current[1]!, values: ['ns-2.'] } },
    ]),
    [],
    'the apex NS replaced in one batch',
  );
  assert.deepEqual(
    changeBatchProblems(zone, current, [{ action: 'CREATE', record: { ...www, name: 'www.other.com.' } }]),
    [`RRSet with DNS name www.other.com. is not permitted in zone ${zone}`],
  );
});
