// Phase 8 end to end with the real ExternalDNS: the lab's manifest applied to a sandbox cluster
// makes the sandbox run the upstream program, which writes the tetris Service's record and its
// TXT ownership record into moto's Route53 zone, removes them with the Service, restarts when its
// arguments change and stops with its Deployment.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { resolveA } from '../../activities/dns.js';
import { deleteIam } from '../../activities/iam.js';
import { applyObjects, deleteObjects } from '../../activities/kube-apply.js';
import { externalDnsObjects } from '../../activities/manifests/external-dns.js';
import { moto } from '../../sandbox/cloud/aws.js';
import { externalDnsPids } from '../helpers/external-dns.js';
import {
  aws,
  createTestCluster,
  deleteTestCluster,
  eventually,
  gatewayAdmin,
  labIrsaRole,
  startLbController,
  target,
  unique,
} from '../helpers/sandbox.js';

const labId = unique('xdns');
const domain = `${labId}.example.com`;
const name = `tetris.${domain}`;
/** The lab's ExternalDNS objects, its service account annotated with the lab's IRSA role for it. */
let objects: ReturnType<typeof externalDnsObjects>;
let zoneId: string;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;

function deployment(app: string) {
  return {
    metadata: { name: app, namespace: 'default', labels: { app } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: app, image: `${app}:latest` }] },
      },
    },
  };
}

// Read from moto directly: polling through the gateway spends Route53's five requests a second,
// which ExternalDNS needs, and a throttled poll would see the record late.
const records = async (): Promise<ResourceRecordSet[]> =>
  (await moto.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
const tetrisRecords = async (): Promise<ResourceRecordSet[]> =>
  (await records()).filter((r) => r.Name?.replace(/\.$/, '').endsWith(`tetris.${domain}`));

before(async () => {
  const cluster = await createTestCluster(labId, 2);
  kc = cluster.kc;
  const { HostedZone } = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: labId }));
  zoneId = HostedZone!.Id!;
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  // The load balancer emulation acts once the controller's Deployment is available; both programs
  // call AWS with the lab's IRSA roles for them, as on EKS.
  await startLbController(kc, labId, cluster.network.vpcId, await labIrsaRole(labId, 'lbController'));
  const roleArn = await labIrsaRole(labId, 'externalDns');
  objects = externalDnsObjects({ labId, domain, region: target.region, roleArn });
});

after(async () => {
  // Services first, so their load balancers go before the cluster does (they would outlive it).
  await core?.deleteNamespacedService({ name: 'tetris', namespace: 'default' }).catch(() => undefined);
  await eventually('tetris Service gone', () =>
    core.readNamespacedService({ name: 'tetris', namespace: 'default' }).then(
      () => undefined,
      () => true,
    ),
  ).catch(() => undefined);
  if (kc && objects) await deleteObjects(kc, objects).catch(() => undefined);
  if (zoneId) {
    const left = (await records()).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');
    if (left.length)
      await aws.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: left.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
        }),
      );
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  }
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('the lab manifest runs ExternalDNS, which writes the alias and TXT records; the name resolves after the delay', async (t) => {
  const { dnsPropagationMs } = await gatewayAdmin<{ dnsPropagationMs: number }>('GET', 'profile');
  await applyObjects(kc, objects);
  await applyObjects(kc, objects); // applying again changes nothing
  await eventually('the sandbox runs external-dns for the cluster', async () =>
    (await externalDnsPids(labId)).length === 1 ? true : undefined,
  );

  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('tetris') });
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: {
        name: 'tetris',
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
          'external-dns.alpha.kubernetes.io/hostname': name,
        },
      },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: 'service.k8s.aws/nlb',
        selector: { app: 'tetris' },
        ports: [{ port: 80, targetPort: 80 }],
      },
    },
  });
  const hostname = await eventually('load balancer hostname', async () => {
    const svc = await core.readNamespacedService({ name: 'tetris', namespace: 'default' });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });

  // ExternalDNS wrote the record after the last look that did not find it: the name may resolve
  // no sooner than the propagation delay after that look.
  let notYetWritten = Date.now();
  const record = await eventually(
    `the A record of ${name} in Route53`,
    async () => {
      const looked = Date.now();
      const found = (await tetrisRecords()).find((r) => r.Type === 'A');
      if (!found) notYetWritten = looked;
      return found;
    },
    60_000,
  );
  const early = await resolveA(target, name);
  // Sure to be within the delay only when this look came soon enough after the last miss.
  if (Date.now() - notYetWritten < dnsPropagationMs)
    assert.deepEqual(early, [], 'not answered before the propagation delay');
  assert.equal(record.Name, `${name}.`);
  assert.equal(record.AliasTarget?.DNSName?.replace(/\.$/, ''), hostname.toLowerCase(), 'an alias to the NLB');
  const txt = (await records()).filter((r) => r.Type === 'TXT').flatMap((r) => r.ResourceRecords ?? []);
  assert.ok(
    txt.some((v) => v.Value?.includes(`external-dns/owner=${labId}`) && v.Value.includes('service/default/tetris')),
    `a TXT record names the owner ${labId}: ${JSON.stringify(txt)}`,
  );

  const addresses = await eventually('the name resolves', async () => {
    const a = await resolveA(target, name);
    return a.length ? a : undefined;
  });
  const took = Date.now() - notYetWritten;
  t.diagnostic(`${name} resolved ${took} ms after the last look without its record (delay ${dnsPropagationMs} ms)`);
  assert.deepEqual(addresses, ['127.0.0.1'], 'load balancer hostnames resolve to the loopback front');
  assert.ok(took >= dnsPropagationMs, `resolved after ${took} ms, before the ${dnsPropagationMs} ms delay`);
});

test('deleting the Service makes ExternalDNS remove its records, and the name stops resolving', async () => {
  await core.deleteNamespacedService({ name: 'tetris', namespace: 'default' });
  await eventually('the records of tetris removed from Route53', async () =>
    (await tetrisRecords()).length === 0 ? true : undefined,
  );
  await eventually(
    'the name no longer resolves',
    async () => ((await resolveA(target, name)).length === 0 ? true : undefined),
    10_000,
  );
  await apps.deleteNamespacedDeployment({ name: 'tetris', namespace: 'default' });
});

test('changing the Deployment args restarts the program with them', async () => {
  const [first] = await externalDnsPids(labId);
  await apps.patchNamespacedDeployment({
    name: 'external-dns',
    namespace: 'kube-system',
    body: [{ op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--log-level=debug' }],
  });
  // The Recreate rollout may pass through an unavailable moment, which stops the program too.
  await eventually('the rollout done', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'external-dns', namespace: 'kube-system' });
    const s = d.status;
    return s?.observedGeneration === d.metadata?.generation && s?.updatedReplicas === 1 && s.availableReplicas === 1
      ? true
      : undefined;
  });
  const [second] = await eventually('a new external-dns process', async () => {
    const pids = await externalDnsPids(labId);
    return pids.length === 1 && pids[0] !== first ? pids : undefined;
  });
  assert.match(readFileSync(`/proc/${second}/cmdline`, 'utf8'), /--log-level=debug/);
});

test('deleting the ExternalDNS objects stops the program', async () => {
  await eventually('external-dns running', async () =>
    (await externalDnsPids(labId)).length === 1 ? true : undefined,
  );
  await deleteObjects(kc, objects);
  await deleteObjects(kc, objects); // deleting again is fine
  await eventually('no external-dns process left for the cluster', async () =>
    (await externalDnsPids(labId)).length === 0 ? true : undefined,
  );
});
