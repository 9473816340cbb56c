// Route53: the lab's hosted zone (the user's on AWS; made by the lab when asked to) and the
// records ExternalDNS writes for it, recognised by ExternalDNS's TXT ownership records.
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  ChangeTagsForResourceCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { labTag } from './cloudformation.js';
import { attempt } from './errors.js';
import { awsClientOptions, type Target } from './target.js';

const client = (target: Target): Route53Client => new Route53Client(awsClientOptions(target));
const zoneId = (id: string): string => id.replace('/hostedzone/', '');
const fqdn = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

export async function findZone(target: Target, domain: string): Promise<string | undefined> {
  const { HostedZones = [] } = await attempt('list zones', () =>
    client(target).send(new ListHostedZonesByNameCommand({ DNSName: domain })),
  );
  const zone = HostedZones.find((z) => z.Name === fqdn(domain) && !z.Config?.PrivateZone);
  return zone ? zoneId(zone.Id!) : undefined;
}

/** Creates a public zone for the lab, tagged with its id so teardown and the sweeper know it is the lab's. */
export async function createZone(target: Target, domain: string, labId: string): Promise<string> {
  const r53 = client(target);
  const { HostedZone } = await attempt('create zone', () =>
    r53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `${labId}-${domain}` })),
  );
  const id = zoneId(HostedZone!.Id!);
  await attempt('tag zone', () =>
    r53.send(
      new ChangeTagsForResourceCommand({
        ResourceType: 'hostedzone',
        ResourceId: id,
        AddTags: [{ Key: labTag, Value: labId }],
      }),
    ),
  );
  return id;
}

export async function zoneIsLabs(target: Target, id: string, labId: string): Promise<boolean> {
  const { ResourceTagSet } = await attempt('zone tags', () =>
    client(target).send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: id })),
  );
  return (ResourceTagSet?.Tags ?? []).some((t) => t.Key === labTag && t.Value === labId);
}

export async function records(target: Target, id: string): Promise<ResourceRecordSet[]> {
  const r53 = client(target);
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string } = {};
  for (;;) {
    const page = await attempt('list records', () =>
      r53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: id,
          StartRecordName: start.name,
          StartRecordType: start.type as never,
        }),
      ),
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    start = { name: page.NextRecordName, type: page.NextRecordType };
  }
}

/** Records ExternalDNS wrote for this owner: each name with a TXT record saying `external-dns/owner=<labId>`. */
export async function ownedRecords(target: Target, id: string, ownerId: string): Promise<ResourceRecordSet[]> {
  const all = await records(target, id);
  const owned = new Set(
    all
      .filter(
        (r) => r.Type === 'TXT' && r.ResourceRecords?.some((v) => v.Value?.includes(`external-dns/owner=${ownerId}`)),
      )
      .map((r) => r.Name!),
  );
  // ExternalDNS names its TXT record after the record (with a type prefix); match the record name inside it.
  return all.filter(
    (r) =>
      owned.has(r.Name!) ||
      [...owned].some((txt) => r.Type !== 'TXT' && txt.endsWith(r.Name!) && txt.length > r.Name!.length),
  );
}

export async function deleteRecords(target: Target, id: string, recordSets: ResourceRecordSet[]): Promise<void> {
  if (recordSets.length === 0) return;
  await attempt('delete records', () =>
    client(target).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: { Changes: recordSets.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
      }),
    ),
  );
}

/** Deletes a zone the lab made: its own records first, as Route53 requires. */
export async function deleteZone(target: Target, id: string): Promise<void> {
  const extra = (await records(target, id)).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');
  await deleteRecords(target, id, extra);
  await attempt('delete zone', () => client(target).send(new DeleteHostedZoneCommand({ Id: id })));
}
