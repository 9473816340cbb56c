// Route53 as strict as AWS where moto is kinder: the account-wide request rate, CallerReference
// uniqueness, and change batches that are refused whole when any change cannot apply (moto checks
// deletes against its change journal only, lets the zone apex go, and applies a batch in part).
import {
  GetHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { parseXML } from '@aws-sdk/xml-builder';
import type { GatewayResponse } from './http.js';
import { moto } from './aws.js';
import { awsError, type AwsCall } from './protocol.js';

/** Route53 developer guide, "Quotas", API request limits: five requests per second per account. */
export const route53DefaultRequestsPerSecond = 5;

/** What one change batch entry carries, as strings (XML gives no types). */
interface RecordSet {
  name: string;
  type: string;
  setIdentifier?: string;
  ttl?: string;
  values: string[];
  alias?: string;
}
interface Change {
  action: string;
  record: RecordSet;
}

const fqdn = (name: string): string => {
  const lower = name.toLowerCase().replace(/\\052/g, '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
};
const labels = (name: string): string[] => fqdn(name).split('.').filter(Boolean);
/** Whether `name` is the zone's apex or below it, compared label by label. */
export const inZone = (name: string, zone: string): boolean => {
  const [n, z] = [labels(name), labels(zone)];
  return n.length >= z.length && z.every((l, i) => n[n.length - z.length + i] === l);
};
const key = (r: RecordSet): string => `${fqdn(r.name)}|${r.type}|${r.setIdentifier ?? ''}`;
const sameValues = (a: RecordSet, b: RecordSet): boolean =>
  a.ttl === b.ttl && a.alias === b.alias && [...a.values].sort().join('\n') === [...b.values].sort().join('\n');
const describe = (r: RecordSet): string =>
  `[name='${fqdn(r.name)}', type='${r.type}'${r.setIdentifier ? `, set-identifier='${r.setIdentifier}'` : ''}]`;

const aliasOf = (target: { DNSName?: unknown; HostedZoneId?: unknown; EvaluateTargetHealth?: unknown } | undefined) =>
  target?.DNSName === undefined
    ? undefined
    : `${fqdn(String(target.DNSName))}|${String(target.HostedZoneId)}|${String(target.EvaluateTargetHealth ?? false)}`;

function fromListing(r: ResourceRecordSet): RecordSet {
  return {
    name: r.Name!,
    type: r.Type!,
    setIdentifier: r.SetIdentifier,
    ttl: r.TTL === undefined ? undefined : String(r.TTL),
    values: (r.ResourceRecords ?? []).map((v) => v.Value!),
    alias: aliasOf(r.AliasTarget),
  };
}

/** The XML parser gives one element as an object and several as an array. */
const many = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type XmlRecordSet = {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  TTL?: string;
  ResourceRecords?: { ResourceRecord?: { Value?: string } | { Value?: string }[] };
  AliasTarget?: { DNSName?: string; HostedZoneId?: string; EvaluateTargetHealth?: string };
};

export function parseChangeBatch(body: string): Change[] {
  const doc = parseXML(body) as {
    ChangeResourceRecordSetsRequest?: {
      ChangeBatch?: { Changes?: { Change?: { Action?: string; ResourceRecordSet?: XmlRecordSet } | object[] } };
    };
  };
  const changes = many(doc.ChangeResourceRecordSetsRequest?.ChangeBatch?.Changes?.Change) as {
    Action?: string;
    ResourceRecordSet?: XmlRecordSet;
  }[];
  return changes.map((c) => {
    const r = c.ResourceRecordSet ?? {};
    return {
      action: c.Action ?? '',
      record: {
        name: r.Name ?? '',
        type: r.Type ?? '',
        setIdentifier: r.SetIdentifier,
        ttl: r.TTL,
        values: many(r.ResourceRecords?.ResourceRecord).map((v) => String(v.Value ?? '')),
        alias: aliasOf(r.AliasTarget),
      },
    };
  });
}

/**
 * Why Route53 would refuse the batch, or nothing: the changes apply in order to the zone's
 * records, and the zone must end with its apex SOA and NS (Route53 API reference,
 * ChangeResourceRecordSets; developer guide, "NS and SOA records that Route 53 creates").
 */
export function changeBatchProblems(zoneName: string, current: RecordSet[], changes: Change[]): string[] {
  const records = new Map(current.map((r) => [key(r), r]));
  const problems: string[] = [];
  for (const { action, record } of changes) {
    if (!inZone(record.name, zoneName)) {
      problems.push(`RRSet with DNS name ${fqdn(record.name)} is not permitted in zone ${fqdn(zoneName)}`);
      continue;
    }
    const existing = records.get(key(record));
    if (action === 'CREATE') {
      if (existing) problems.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      else records.set(key(record), record);
    } else if (action === 'DELETE') {
      if (!existing) problems.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
      else if (!sameValues(existing, record))
        problems.push(
          `Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`,
        );
      else records.delete(key(record));
    } else if (action === 'UPSERT') records.set(key(record), record);
  }
  const apex = (type: string): boolean => records.has(key({ name: zoneName, type, values: [] }));
  if (!apex('SOA')) problems.push('A HostedZone must contain exactly one SOA record.');
  if (!apex('NS')) problems.push('A HostedZone must contain at least one NS record for the zone itself.');
  return problems;
}

async function zoneRecords(zoneId: string): Promise<RecordSet[]> {
  const out: RecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
  for (;;) {
    const page = await moto.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    out.push(...(page.ResourceRecordSets ?? []).map(fromListing));
    if (!page.IsTruncated) return out;
    start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType };
  }
}

async function callerReferenceInUse(reference: string): Promise<boolean> {
  for (let marker: string | undefined, more = true; more;) {
    const page = await moto.route53.send(new ListHostedZonesCommand({ Marker: marker }));
    if ((page.HostedZones ?? []).some((z) => z.CallerReference === reference)) return true;
    [marker, more] = [page.NextMarker, page.IsTruncated ?? false];
  }
  return false;
}

export class Route53Emulator {
  /** Start times of the requests of the last second, for the account-wide rate. */
  private recent: number[] = [];
  /** CallerReferences of zones made through the gateway, deleted ones too: a reference is used once. */
  private readonly usedReferences = new Set<string>();

  constructor(
    public requestsPerSecond = Number(process.env.NETLAB_ROUTE53_RPS ?? route53DefaultRequestsPerSecond),
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Whether this request exceeds the rate; requests refused still count, as AWS's do. */
  private throttled(now = Date.now()): boolean {
    this.recent = this.recent.filter((t) => now - t < 1000);
    this.recent.push(now);
    return this.recent.length > this.requestsPerSecond;
  }

  async handle(call: AwsCall, forward: (c: AwsCall) => Promise<GatewayResponse>): Promise<GatewayResponse> {
    if (this.throttled()) return awsError('route53', 'Throttling', 'Rate exceeded', 400);
    if (call.operation === 'CreateHostedZone') {
      const doc = parseXML(call.body.toString()) as { CreateHostedZoneRequest?: { CallerReference?: string } };
      const reference = doc.CreateHostedZoneRequest?.CallerReference;
      if (
        reference &&
        (this.usedReferences.has(String(reference)) || (await callerReferenceInUse(String(reference))))
      ) {
        return awsError(
          'route53',
          'HostedZoneAlreadyExists',
          `A hosted zone has already been created with the specified caller reference: ${reference}`,
          409,
        );
      }
      const created = await forward(call);
      if (reference && created.status < 300) this.usedReferences.add(String(reference));
      return created;
    }
    if (call.operation === 'ChangeResourceRecordSets') {
      const zoneId = /\/hostedzone\/([^/]+)\/rrset/.exec(call.path)?.[1];
      const zone = zoneId
        ? await moto.route53.send(new GetHostedZoneCommand({ Id: zoneId })).catch(() => undefined)
        : undefined;
      if (zone?.HostedZone?.Name) {
        const problems = changeBatchProblems(
          zone.HostedZone.Name,
          await zoneRecords(zoneId!),
          parseChangeBatch(call.body.toString()),
        );
        if (problems.length > 0) {
          this.log(`route53: change batch for ${zoneId} refused: ${problems.join('; ')}`);
          return awsError('route53', 'InvalidChangeBatch', problems.join('; '), 400);
        }
      }
    }
    return forward(call);
  }
}
