// The real ExternalDNS runs with IRSA in the sandbox, as in an EKS pod: the pod identity
// webhook's environment (role ARN, projected token file), no static keys, and its Route53 calls
// checked against its role's policy. A role without route53:ChangeResourceRecordSets writes no
// record (the refusal is in ExternalDNS's log); with ExternalDNS's upstream policy it does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deleteIam, ensureIrsaRole, ensureOidcProvider } from '../../activities/iam.js';
import { applyObjects, deleteObjects } from '../../activities/kube-apply.js';
import { externalDnsObjects } from '../../activities/manifests/external-dns.js';
import { awsClientOptions } from '../../activities/target.js';
import { roleArnAnnotation } from '../../sandbox/cloud/irsa.js';
import { externalDnsEnv, externalDnsLogLine, serviceWithAddress } from '../helpers/external-dns.js';
import { aws, createTestCluster, deleteTestCluster, eventually, target, unique } from '../helpers/sandbox.js';

const labId = unique('xdnsirsa');
const domain = `${labId}.example.com`;
const name = `tetris.${domain}`;
const iam = new IAMClient(awsClientOptions(target));
const lackingRole = `${labId}-no-change`;
let lackingPolicyArn: string;
let lackingRoleArn: string;
let upstreamRoleArn: string;
let zoneId: string;
let kc: KubeConfig;
let core: CoreV1Api;

const records = async (): Promise<ResourceRecordSet[]> =>
  (await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
/** The Service's record and ExternalDNS's TXT ownership record of it (`cname-tetris…`). */
const tetrisRecords = async (): Promise<ResourceRecordSet[]> =>
  (await records()).filter((r) => r.Name?.replace(/\.$/, '').endsWith(`tetris.${domain}`));
before(async () => {
  ({ kc } = await createTestCluster(labId, 1));
  core = kc.makeApiClient(CoreV1Api);
  const { HostedZone } = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: labId }));
  zoneId = HostedZone!.Id!;
  upstreamRoleArn = (await ensureIrsaRole(target, labId, 'externalDns', await ensureOidcProvider(target, labId)))
    .roleArn;
  // ExternalDNS's upstream policy without ChangeResourceRecordSets, trusted the same way.
  const upstream = JSON.parse(
    readFileSync(new URL('../../activities/templates/external-dns-iam-policy.json', import.meta.url), 'utf8'),
  ) as { Statement: { Action: string[] }[] };
  for (const s of upstream.Statement) s.Action = s.Action.filter((a) => a !== 'route53:ChangeResourceRecordSets');
  lackingPolicyArn = (
    await iam.send(new CreatePolicyCommand({ PolicyName: lackingRole, PolicyDocument: JSON.stringify(upstream) }))
  ).Policy!.Arn!;
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: `${labId}-externalDns` }));
  lackingRoleArn = (
    await iam.send(
      new CreateRoleCommand({
        RoleName: lackingRole,
        AssumeRolePolicyDocument: decodeURIComponent(Role!.AssumeRolePolicyDocument!),
      }),
    )
  ).Role!.Arn!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: lackingRole, PolicyArn: lackingPolicyArn }));
});

after(async () => {
  await core?.deleteNamespacedService({ name: 'tetris', namespace: 'default' }).catch(() => undefined);
  if (kc) await deleteObjects(kc, externalDnsObjects({ labId, domain, region: target.region })).catch(() => undefined);
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
  await iam
    .send(new DetachRolePolicyCommand({ RoleName: lackingRole, PolicyArn: lackingPolicyArn }))
    .catch(() => undefined);
  await iam.send(new DeleteRoleCommand({ RoleName: lackingRole })).catch(() => undefined);
  await iam.send(new DeletePolicyCommand({ PolicyArn: lackingPolicyArn })).catch(() => undefined);
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('ExternalDNS runs with the pod identity environment and no static keys', async () => {
  await applyObjects(kc, externalDnsObjects({ labId, domain, region: target.region, roleArn: lackingRoleArn }));
  // Its Deployment must be available first (KWOK runs the pod), which takes long on a busy machine.
  const env = await eventually('the sandbox runs external-dns for the cluster', () => externalDnsEnv(labId), 180_000);
  assert.equal(env.AWS_ROLE_ARN, lackingRoleArn);
  assert.equal(env.AWS_ACCESS_KEY_ID, undefined, 'no static credentials');
  assert.equal(env.AWS_STS_REGIONAL_ENDPOINTS, 'regional');
  const claims = JSON.parse(
    Buffer.from(readFileSync(env.AWS_WEB_IDENTITY_TOKEN_FILE!, 'utf8').split('.')[1]!, 'base64url').toString(),
  ) as { sub: string; aud: string[]; iss: string };
  assert.equal(claims.sub, 'system:serviceaccount:kube-system:external-dns');
  assert.deepEqual(claims.aud, ['sts.amazonaws.com']);
  assert.match(claims.iss, /^https:\/\/oidc\.eks\.[^/]+\.amazonaws\.com\/id\//, "the cluster's EKS OIDC issuer");
});

test('without route53:ChangeResourceRecordSets its change is refused and no record is written', async () => {
  await serviceWithAddress(kc, labId, name);
  const refusal = await externalDnsLogLine(
    labId,
    (l) => l.includes('AccessDenied') && l.includes('route53:ChangeResourceRecordSets'),
  );
  assert.match(refusal, new RegExp(`assumed-role/${lackingRole}/`));
  assert.deepEqual(await tetrisRecords(), [], 'no record was written');
});

test("with ExternalDNS's upstream policy the record is written", async () => {
  await core.patchNamespacedServiceAccount({
    name: 'external-dns',
    namespace: 'kube-system',
    body: [{ op: 'replace', path: '/metadata/annotations', value: { [roleArnAnnotation]: upstreamRoleArn } }],
  });
  const env = await eventually(
    'external-dns restarted with the upstream role',
    async () => {
      const e = await externalDnsEnv(labId);
      return e?.AWS_ROLE_ARN === upstreamRoleArn ? e : undefined;
    },
    180_000,
  );
  assert.equal(env.AWS_ACCESS_KEY_ID, undefined);
  const record = await eventually(
    `the record of ${name}`,
    async () => (await tetrisRecords()).find((r) => r.Name === `${name}.`),
    90_000,
  );
  assert.equal(record.Type, 'CNAME');
  assert.equal(record.ResourceRecords?.[0]?.Value, `lb-${labId}.example.net`);
});
