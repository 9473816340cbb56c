// LAB.md phase 8: ExternalDNS writes a record for an annotated NLB Service (`tetris.<lab id>.<domain>`);
// how long until the record exists in Route53 and until it resolves, and that deleting the
// Service removes it — the propagation the write-up's A-record query stumbled over.
import { type KubeConfig } from '@kubernetes/client-node';
import { labNames } from '../../lab/names.js';
import type { DnsResult } from '../../lab/report.js';
import type { LabSpec, SpecProblem } from '../../lab/spec.js';
import { dnsPolling, resolveA } from '../dns.js';
import { nonRetryableFailure } from '../errors.js';
import { applyObjects, deleteObjects } from '../kube-apply.js';
import { deploymentObject, namespaceObject } from '../kube.js';
import { externalDnsObjects } from '../manifests/external-dns.js';
import { waitFor } from '../poll.js';
import {
  createZone,
  deleteRecords,
  deleteZone,
  findZone,
  listZones,
  ownedRecords,
  recordsNamed,
  zoneIsLabs,
} from '../route53.js';
import type { Target } from '../target.js';
import { nlbService } from './loadbalancers.js';

const tetris = { app: 'deploy-tetris', image: 'bsord/tetris', service: 'tetris' };

function tetrisObjects(spec: LabSpec): ReturnType<typeof nlbService>[] {
  return [
    namespaceObject(spec.labId),
    deploymentObject(spec.labId, tetris.app, tetris.image, 1, 80),
    nlbService(spec.labId, tetris.service, tetris.app, 80, {
      'external-dns.alpha.kubernetes.io/hostname': labNames(spec.labId).dnsRecord(spec.domain),
    }),
  ];
}

/**
 * At validation, before anything is made: the ExternalDNS phase needs a public zone for the
 * domain in the account, unless the lab is to create it.
 */
export async function zoneProblem(target: Target, spec: LabSpec): Promise<SpecProblem | undefined> {
  if (!spec.phases.includes('externalDns') || spec.createZone) return undefined;
  if (await findZone(target, spec.domain)) return undefined;
  const publicZones = (await listZones(target))
    .filter((z) => !z.Config?.PrivateZone)
    .map((z) => z.Name!.replace(/\.$/, ''));
  const fix = publicZones.length
    ? `create a public hosted zone for it, or pick one of the account's public zones: ${publicZones.slice(0, 5).join(', ')}${publicZones.length > 5 ? ', …' : ''}`
    : 'create a public hosted zone for it (the account has none)';
  return { field: 'domain', message: `no public Route53 hosted zone ${spec.domain} in this account; ${fix}` };
}

const hasRecord = async (target: Target, zoneId: string, name: string): Promise<boolean> =>
  (await recordsNamed(target, zoneId, name)).some((r) => r.Type === 'A' || r.Type === 'CNAME');

export async function dnsTest(target: Target, kc: KubeConfig, spec: LabSpec, roleArn?: string): Promise<DnsResult> {
  const found = await findZone(target, spec.domain, spec.labId);
  if (!found && !spec.createZone) {
    throw nonRetryableFailure(
      `domain: no public Route53 zone ${spec.domain}; give --domain a zone you own, or let the lab create one`,
      'InvalidSpec',
    );
  }
  // A zone this run made on an earlier attempt is the lab's too: createZone finds it and tags it.
  const zoneCreated = !found || found.madeByLab;
  const id = zoneCreated ? await createZone(target, spec.domain, spec.labId) : found.id;
  const name = labNames(spec.labId).dnsRecord(spec.domain);
  await applyObjects(
    kc,
    externalDnsObjects({ labId: spec.labId, domain: spec.domain, zoneId: id, region: target.region, roleArn }),
  );
  const started = Date.now();
  await applyObjects(kc, tetrisObjects(spec));
  const wait = { timeoutMs: 20 * 60_000, intervalMs: 1000 };
  await waitFor(
    `record ${name} in Route53`,
    async () => ((await hasRecord(target, id, name)) ? true : undefined),
    wait,
  );
  const recordCreatedMs = Date.now() - started;
  const addresses = await waitFor(
    `${name} to resolve`,
    async () => {
      const a = await resolveA(target, name);
      return a.length ? a : undefined;
    },
    { ...wait, intervalMs: dnsPolling },
  );
  const resolvedMs = Date.now() - started;
  await deleteObjects(
    kc,
    tetrisObjects(spec).filter((o) => o.kind !== 'Namespace'),
  );
  const deleted = Date.now();
  await waitFor(`record ${name} removed`, async () => ((await hasRecord(target, id, name)) ? undefined : true), wait);
  const recordRemovedMs = Date.now() - deleted;
  await deleteDnsTest(target, kc, spec);
  return { zoneId: id, zoneCreated, recordName: name, recordCreatedMs, resolvedMs, addresses, recordRemovedMs };
}

/**
 * Undoes the phase in the order that leaves no record: the Service first while ExternalDNS still
 * runs (it deletes its records), then ExternalDNS, then any record it still owns, then the zone
 * if the lab made it.
 */
export async function deleteDnsTest(target: Target, kc: KubeConfig | undefined, spec: LabSpec): Promise<void> {
  const zone = await findZone(target, spec.domain, spec.labId);
  const zoneId = zone?.id;
  if (kc) {
    await deleteObjects(
      kc,
      tetrisObjects(spec).filter((o) => o.kind !== 'Namespace'),
    );
    if (zoneId) {
      const name = labNames(spec.labId).dnsRecord(spec.domain);
      await waitFor(
        `record ${name} removed by ExternalDNS`,
        async () => ((await hasRecord(target, zoneId, name)) ? undefined : true),
        {
          timeoutMs: 60_000,
        },
      ).catch(() => undefined); // ExternalDNS may already be gone: the sweep below removes what it left
    }
    await deleteObjects(kc, externalDnsObjects({ labId: spec.labId, domain: spec.domain, region: target.region }));
  }
  if (!zone) return;
  await deleteRecords(target, zone.id, await ownedRecords(target, zone.id, spec.labId));
  if (await zoneIsLabs(target, zone, spec.labId)) await deleteZone(target, zone.id);
}
