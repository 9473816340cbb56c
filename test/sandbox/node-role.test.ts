// Pods without IRSA call AWS with their node's instance role, as on EKS (EKS User Guide, "Amazon
// EKS node IAM role"): the lab's node role has no load balancer or Route53 permission, so the load
// balancer controller and ExternalDNS, their service accounts without a role annotation, are
// refused, and nothing is made. Never the sandbox's own credentials.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { applyObjects, deleteObjects } from '../../activities/kube-apply.js';
import { externalDnsObjects } from '../../activities/manifests/external-dns.js';
import { moto } from '../../sandbox/cloud/aws.js';
import { externalDnsEnv, externalDnsLogLine, serviceWithAddress } from '../helpers/external-dns.js';
import {
  aws,
  createTestCluster,
  deleteTestCluster,
  eventually,
  startLbController,
  target,
  unique,
} from '../helpers/sandbox.js';

const labId = unique('noirsa');
const domain = `${labId}.example.com`;
const objects = externalDnsObjects({ labId, domain, region: target.region });
/** The principal AWS names in a denial to the node's role: `assumed-role/<lab>-node/<instance id>`. */
const nodeRolePrincipal = new RegExp(`assumed-role/${labId}-node/i-[0-9a-f]+`);
let kc: KubeConfig;
let core: CoreV1Api;
let vpcId: string;
let zoneId: string;

before(async () => {
  const cluster = await createTestCluster(labId, 1);
  kc = cluster.kc;
  vpcId = cluster.network.vpcId;
  core = kc.makeApiClient(CoreV1Api);
  const { HostedZone } = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: labId }));
  zoneId = HostedZone!.Id!;
});

after(async () => {
  for (const name of ['svc-nlb', 'tetris'])
    await core?.deleteNamespacedService({ name, namespace: 'default' }).catch(() => undefined);
  if (kc) await deleteObjects(kc, objects).catch(() => undefined);
  if (zoneId) await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  await deleteTestCluster(labId);
});

test("a controller without an IRSA role is refused with its node's role: no load balancer, nothing made", async () => {
  await startLbController(kc, labId, vpcId);
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'svc-nlb', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: 'service.k8s.aws/nlb',
        selector: { app: 'echo' },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    },
  });
  // The controller's Warning event on the Service, as it records a failed deploy.
  const event = await eventually(
    'a FailedDeployModel event on the Service',
    async () =>
      (
        await core.listNamespacedEvent({
          namespace: 'default',
          fieldSelector: 'involvedObject.kind=Service,involvedObject.name=svc-nlb',
        })
      ).items.find((e) => e.reason === 'FailedDeployModel'),
    180_000,
  );
  assert.equal(event.type, 'Warning');
  // The node role's AmazonEKSWorkerNodePolicy lets it describe security groups, not create one (EC2
  // names its AccessDenied UnauthorizedOperation).
  assert.match(event.message ?? '', /UnauthorizedOperation: .*is not authorized to perform: ec2:CreateSecurityGroup /);
  assert.match(event.message ?? '', nodeRolePrincipal);
  const svc = await core.readNamespacedService({ name: 'svc-nlb', namespace: 'default' });
  assert.equal(svc.status?.loadBalancer?.ingress, undefined, 'no load balancer hostname');
  // Nothing in moto: no load balancer in the VPC, no security group the controller tags.
  const { LoadBalancers = [] } = await moto.elbv2.send(new DescribeLoadBalancersCommand({}));
  assert.deepEqual(
    LoadBalancers.filter((l) => l.VpcId === vpcId).map((l) => l.LoadBalancerName),
    [],
  );
  const { SecurityGroups = [] } = await moto.ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  assert.deepEqual(
    SecurityGroups.filter((g) => g.GroupName?.startsWith('k8s-')).map((g) => g.GroupName),
    [],
  );
});

test("ExternalDNS without an IRSA role gets its node's role from the metadata service, is refused, writes no record", async () => {
  await applyObjects(kc, objects);
  const env = await eventually('the sandbox runs external-dns for the cluster', () => externalDnsEnv(labId), 180_000);
  assert.equal(env.AWS_ACCESS_KEY_ID, undefined, 'no static credentials');
  assert.equal(env.AWS_ROLE_ARN, undefined, 'no web identity');
  assert.match(env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  await serviceWithAddress(kc, labId, `tetris.${domain}`);
  const refusal = await externalDnsLogLine(labId, (l) => l.includes('AccessDenied') && nodeRolePrincipal.test(l));
  assert.match(refusal, /route53:ListHostedZones/);
  const { ResourceRecordSets = [] } = await moto.route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
  );
  assert.deepEqual(
    ResourceRecordSets.filter((r) => r.Type !== 'SOA' && r.Type !== 'NS').map((r) => r.Name),
    [],
    'no record was written',
  );
});
