// Route53: the lab's hosted zone (the user's on AWS; made by the lab when asked to) and the
// records ExternalDNS writes for it, recognised by ExternalDNS's TXT ownership records.
import {
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  paginateListHostedZones,
  Route53Client,
  type HostedZone,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { Context } from '@temporalio/activity';
import { labTag } from './cloudformation.js';
import { classifying, classify } from './errors.js';
import { awsClientOptions, type Target } from './target.js';

/**
 * Route53 allows five requests per second per account (developer guide, "Quotas", "Quotas on API
 * requests"), shared by every lab's ExternalDNS and every other tool in the account. The labs of
 * one worker spend at most this many between them, spaced evenly: one lab polls a record every
 * second, ten poll each every five, and ExternalDNS keeps the rest.
 */
const route53RequestsPerSecond = 2;
let nextRequestAt = 0;

/** Waits for this worker's next Route53 request slot. */
async function route53Slot(): Promise<void> {
  const now = Date.now();
  const at = Math.max(now, nextRequestAt);
  nextRequestAt = at + 1000 / route53RequestsPerSecond;
  if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
}

/** A Route53 client whose every attempt, retries included, takes a slot; throttling is still ridden out by adaptive retries. */
export function route53Client(target: Target): Route53Client {
  const client = new Route53Client({ ...awsClientOptions(target), maxAttempts: 8, retryMode: 'adaptive' });
  client.middlewareStack.add(
    (next) => async (args) => {
      await route53Slot();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'route53RequestBudget' },
  );
  return client;
}
const zoneId = (id: string): string => id.replace('/hostedzone/', '');
const labelsOf = (name: string): string[] =>
  name
    .toLowerCase()
    .replace(/\\052/g, '*')
    .split('.')
    .filter((l) => l !== '');
const sameName = (a: string, b: string): boolean => labelsOf(a).join('.') === labelsOf(b).join('.');

/**
 * The CallerReference of the zone an activity attempt makes. Route53 refuses a reference used
 * before, even once its zone is deleted (HostedZoneAlreadyExists), so each attempt has its own:
 * an attempt may have made its zone and deleted it again before it timed out. The SDK's retries
 * of one create share it, and a later attempt finds an earlier one's zone by the lab's prefix.
 */
export function zoneCallerReference(labId: string): string {
  let attempt = 'no-run';
  try {
    const info = Context.current().info;
    attempt = `${info.workflowExecution?.runId ?? 'no-run'}-${info.attempt}`;
  } catch {
    // called outside an activity (tests, the CLI): one reference per lab id
  }
  return `${zoneReferencePrefix(labId)}${attempt}`.slice(0, 128);
}
const zoneReferencePrefix = (labId: string): string => `eks-netlab/${labId}/`;

export interface FoundZone {
  id: string;
  /** Made by this lab (its CallerReference), whatever its tags say. */
  madeByLab: boolean;
}

/**
 * The public zone named exactly `domain`: the one this lab made, else the user's (one no lab made);
 * every page of zones with that name is read.
 */
export async function findZone(target: Target, domain: string, labId?: string): Promise<FoundZone | undefined> {
  const r53 = route53Client(target);
  const matches: HostedZone[] = [];
  let start: { DNSName?: string; HostedZoneId?: string } = { DNSName: domain };
  for (;;) {
    const page = await classifying('list zones', () => r53.send(new ListHostedZonesByNameCommand(start)));
    const zones = page.HostedZones ?? [];
    matches.push(...zones.filter((z) => sameName(z.Name!, domain) && !z.Config?.PrivateZone));
    // Zones come in name order: once a page ends past the domain, no later page holds it.
    const last = zones[zones.length - 1];
    if (!page.IsTruncated || !last || !sameName(last.Name!, domain)) break;
    start = { DNSName: page.NextDNSName, HostedZoneId: page.NextHostedZoneId };
  }
  const own = labId ? matches.find((z) => z.CallerReference?.startsWith(zoneReferencePrefix(labId))) : undefined;
  // Another lab's zone is never this one's: its lab deletes it when it ends, whoever still writes there.
  const zone = own ?? matches.find((z) => labIdOfReference(z.CallerReference) === undefined);
  return zone ? { id: zoneId(zone.Id!), madeByLab: !!own } : undefined;
}

async function tagZone(r53: Route53Client, id: string, labId: string): Promise<void> {
  await classifying('tag zone', () =>
    r53.send(
      new ChangeTagsForResourceCommand({
        ResourceType: 'hostedzone',
        ResourceId: id,
        AddTags: [{ Key: labTag, Value: labId }],
      }),
    ),
  );
}

/**
 * Creates a public zone for the lab, or finds the one an earlier attempt of this run made (by
 * CallerReference), and tags it with the lab id so teardown and the sweeper know it is the lab's.
 */
export async function createZone(target: Target, domain: string, labId: string): Promise<string> {
  const r53 = route53Client(target);
  const earlier = await findZone(target, domain, labId);
  const id = earlier?.madeByLab ? earlier.id : await createOrFindZone(r53, target, domain, labId);
  await tagZone(r53, id, labId); // adding the same tag again changes nothing
  return id;
}

/** CreateHostedZone; when its answer was lost and the SDK's retry meets HostedZoneAlreadyExists, the zone it made. */
async function createOrFindZone(r53: Route53Client, target: Target, domain: string, labId: string): Promise<string> {
  try {
    const { HostedZone } = await r53.send(
      new CreateHostedZoneCommand({ Name: domain, CallerReference: zoneCallerReference(labId) }),
    );
    return zoneId(HostedZone!.Id!);
  } catch (err) {
    const made = (err as Error).name === 'HostedZoneAlreadyExists' ? await findZone(target, domain, labId) : undefined;
    if (made?.madeByLab) return made.id;
    return classify(err, 'create zone');
  }
}

/** Whether the lab made this zone: tagged with its id, or created with its CallerReference (a lost tag call). */
export async function zoneIsLabs(target: Target, zone: FoundZone, labId: string): Promise<boolean> {
  if (zone.madeByLab) return true;
  const { ResourceTagSet } = await classifying('zone tags', () =>
    route53Client(target).send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zone.id })),
  );
  return (ResourceTagSet?.Tags ?? []).some((t) => t.Key === labTag && t.Value === labId);
}

/** Every zone, each page (the SDK's paginator). */
export async function listZones(target: Target): Promise<HostedZone[]> {
  return classifying('list zones', async () => {
    const out: HostedZone[] = [];
    for await (const page of paginateListHostedZones({ client: route53Client(target) }, {}))
      out.push(...(page.HostedZones ?? []));
    return out;
  });
}

/** Whether a zone carries the CallerReference of a lab run (`eks-netlab/<labId>/…`), and which lab. */
export const labIdOfReference = (reference: string | undefined): string | undefined =>
  /^eks-netlab\/(.+)\/[^/]+$/.exec(reference ?? '')?.[1];

/** Every record of the zone; ListResourceRecordSets has no SDK paginator, so this follows Next* itself. */
export async function records(target: Target, id: string): Promise<ResourceRecordSet[]> {
  const r53 = route53Client(target);
  const out: ResourceRecordSet[] = [];
  let next: Partial<ListResourceRecordSetsCommandInput> = {};
  for (;;) {
    const page = await classifying('list records', () =>
      r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, ...next })),
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    next = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      StartRecordIdentifier: page.NextRecordIdentifier,
    };
  }
}

/**
 * The records at one name, in one request however large the zone (a user's zone may hold
 * thousands): Route53 lists a zone in name order from StartRecordName (API reference,
 * ListResourceRecordSets).
 */
export async function recordsNamed(target: Target, id: string, name: string): Promise<ResourceRecordSet[]> {
  const page = await classifying('list records', () =>
    route53Client(target).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: id, StartRecordName: name, MaxItems: 10 }),
    ),
  );
  return (page.ResourceRecordSets ?? []).filter((r) => sameName(r.Name!, name));
}

/**
 * The owner id of an ExternalDNS TXT registry record, parsed exactly: its value is
 * `"heritage=external-dns,external-dns/owner=<id>[,external-dns/resource=…]"`.
 */
export function externalDnsOwner(txtValue: string): string | undefined {
  const fields = new Map(
    txtValue
      .replace(/^"|"$/g, '')
      .split(',')
      .map((f) => {
        const at = f.indexOf('=');
        return [f.slice(0, at), f.slice(at + 1)] as const;
      }),
  );
  return fields.get('heritage') === 'external-dns' ? fields.get('external-dns/owner') : undefined;
}

/**
 * What a TXT registry record at `txtName` owns: the record of the same name (ExternalDNS's old
 * format), or, for the new format `<type>-<label>.<rest>`, the record `<label>.<rest>` of that type.
 */
function ownedBy(txtName: string, r: ResourceRecordSet): boolean {
  if (r.Type === 'TXT') return false;
  if (sameName(txtName, r.Name!)) return true;
  const [first = '', ...rest] = labelsOf(txtName);
  const prefix = `${r.Type!.toLowerCase()}-`;
  return first.startsWith(prefix) && sameName([first.slice(prefix.length), ...rest].join('.'), r.Name!);
}

/** The zone's own apex SOA and NS: Route53 refuses a batch that deletes them, and they are never the lab's. */
const isApexRecord = (zoneName: string, r: ResourceRecordSet): boolean =>
  (r.Type === 'SOA' || r.Type === 'NS') && sameName(r.Name!, zoneName);

/**
 * Records ExternalDNS wrote for this owner: its TXT registry records whose owner is exactly
 * `ownerId`, and the records they name, matched label by label. Never the zone's SOA or NS.
 */
export function ownedRecordsOf(all: ResourceRecordSet[], ownerId: string): ResourceRecordSet[] {
  const registry = all.filter(
    (r) => r.Type === 'TXT' && (r.ResourceRecords ?? []).some((v) => externalDnsOwner(v.Value ?? '') === ownerId),
  );
  const zoneName = all.find((r) => r.Type === 'SOA')?.Name;
  return all.filter(
    (r) =>
      !(zoneName && isApexRecord(zoneName, r)) &&
      r.Type !== 'SOA' &&
      (registry.includes(r) || registry.some((txt) => ownedBy(txt.Name!, r))),
  );
}

export async function ownedRecords(target: Target, id: string, ownerId: string): Promise<ResourceRecordSet[]> {
  return ownedRecordsOf(await records(target, id), ownerId);
}

export async function deleteRecords(target: Target, id: string, recordSets: ResourceRecordSet[]): Promise<void> {
  if (recordSets.length === 0) return;
  await classifying('delete records', () =>
    route53Client(target).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: { Changes: recordSets.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
      }),
    ),
  );
}

/** Deletes a zone the lab made: every record but its apex SOA and NS first, as Route53 requires. */
export async function deleteZone(target: Target, id: string): Promise<void> {
  const all = await records(target, id);
  const zoneName = all.find((r) => r.Type === 'SOA')?.Name ?? '';
  await deleteRecords(
    target,
    id,
    all.filter((r) => !isApexRecord(zoneName, r)),
  );
  await classifying('delete zone', () => route53Client(target).send(new DeleteHostedZoneCommand({ Id: id })));
}
