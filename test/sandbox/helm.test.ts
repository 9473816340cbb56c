// Phase 5 with real Helm: the sandbox's stand-in chart for the AWS Load Balancer Controller is
// installed, upgraded and uninstalled by the helm binary into an EKS cluster made through the
// gateway, and the sandbox's load balancer emulation acts for it once it is available.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { helmUninstall, helmUpgradeInstall } from '../../activities/helm.js';
import { deleteIam } from '../../activities/iam.js';
import {
  aws,
  createTestCluster,
  deleteTestCluster,
  eventually,
  labIrsaRole,
  target,
  unique,
} from '../helpers/sandbox.js';

const labId = unique('helm');
const chart = fileURLToPath(new URL('../../sandbox/charts/aws-load-balancer-controller', import.meta.url));
const release = 'aws-load-balancer-controller';
const namespace = 'kube-system';
const selector = 'app.kubernetes.io/name=aws-load-balancer-controller';

// helm.ts makes its temp dirs in os.tmpdir(): a private one shows that each is gone after its call.
const realTmpdir = process.env.TMPDIR;
const privateTmp = mkdtempSync(join(tmpdir(), 'netlab-helm-test-'));
process.env.TMPDIR = privateTmp;

let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let values: Record<string, unknown>;
let roleArn: string;

const token = (): string => kc.getCurrentUser()!.token!;
const controllerDeployments = async () =>
  (await apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items;

before(async () => {
  const cluster = await createTestCluster(labId, 2);
  kc = cluster.kc;
  // The controller calls AWS with its service account's IRSA role, as on EKS: a real one.
  roleArn = await labIrsaRole(labId, 'lbController');
  values = {
    clusterName: labId,
    region: target.region,
    vpcId: cluster.network.vpcId,
    serviceAccount: {
      create: true,
      name: 'aws-load-balancer-controller',
      annotations: { 'eks.amazonaws.com/role-arn': roleArn },
    },
  };
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

after(async () => {
  process.env.TMPDIR = realTmpdir;
  if (realTmpdir === undefined) delete process.env.TMPDIR;
  rmSync(privateTmp, { recursive: true, force: true });
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('without clusterName the chart refuses to render, and the error carries helm’s message but no token', async () => {
  const err = await helmUpgradeInstall(target, kc, { name: release, namespace, chart, values: {} }).then(
    () => assert.fail('install without clusterName succeeded'),
    (e: Error) => e,
  );
  assert.match(err.message, /clusterName is required/);
  assert.ok(!err.message.includes(token()));
  assert.deepEqual(readdirSync(privateTmp), []);
  assert.equal((await controllerDeployments()).length, 0);
});

test('helm installs the controller: 2 ready replicas, IRSA service account, IngressClass alb, revision 1', async () => {
  const installing = helmUpgradeInstall(target, kc, { name: release, namespace, chart, values, timeoutSeconds: 120 });
  // While helm runs, its kubeconfig holds the token: only the owner may read it or its folder.
  const { dirMode, fileMode } = await eventually('helm’s private temp dir', async () => {
    const [dir] = readdirSync(privateTmp);
    if (!dir) return undefined;
    return {
      dirMode: statSync(join(privateTmp, dir)).mode & 0o777,
      fileMode: statSync(join(privateTmp, dir, 'kubeconfig')).mode & 0o777,
    };
  });
  assert.equal(dirMode, 0o700);
  assert.equal(fileMode, 0o600);
  const result = await installing;
  assert.deepEqual(result, {
    revision: 1,
    status: 'deployed',
    chart: 'aws-load-balancer-controller-1.17.1',
    appVersion: 'v2.17.1',
  });
  assert.deepEqual(readdirSync(privateTmp), [], 'the temp dir with the token is deleted');

  const deployment = await apps.readNamespacedDeployment({ name: 'aws-load-balancer-controller', namespace });
  assert.equal(deployment.metadata?.labels?.['app.kubernetes.io/name'], 'aws-load-balancer-controller');
  assert.equal(deployment.metadata?.labels?.['app.kubernetes.io/instance'], release);
  assert.equal(deployment.status?.readyReplicas, 2);
  assert.equal(deployment.status?.availableReplicas, 2);
  const pod = deployment.spec?.template.spec;
  assert.equal(pod?.serviceAccountName, 'aws-load-balancer-controller');
  assert.equal(pod?.containers[0]?.name, 'aws-load-balancer-controller');
  assert.equal(pod?.containers[0]?.image, 'public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1');
  assert.deepEqual(pod?.containers[0]?.args, [
    `--cluster-name=${labId}`,
    '--ingress-class=alb',
    `--aws-region=${target.region}`,
    `--aws-vpc-id=${(values as { vpcId: string }).vpcId}`,
  ]);

  const sa = await core.readNamespacedServiceAccount({ name: 'aws-load-balancer-controller', namespace });
  assert.equal(sa.metadata?.annotations?.['eks.amazonaws.com/role-arn'], roleArn);
  const ingressClass = await kc.makeApiClient(NetworkingV1Api).readIngressClass({ name: 'alb' });
  assert.equal(ingressClass.spec?.controller, 'ingress.k8s.aws/alb');
});

test('installing again upgrades in place: revision 2, still one Deployment', async () => {
  const result = await helmUpgradeInstall(target, kc, { name: release, namespace, chart, values, timeoutSeconds: 120 });
  assert.equal(result.revision, 2);
  assert.equal(result.status, 'deployed');
  const deployments = await controllerDeployments();
  assert.equal(deployments.length, 1);
  assert.equal(deployments[0]?.status?.readyReplicas, 2);
  assert.deepEqual(readdirSync(privateTmp), []);
});

test('the sandbox acts for the installed controller: an NLB-class Service gets a load balancer', async () => {
  await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: {
        name: 'svc-nlb',
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': `netlab.io/lab-id=${labId}`,
        },
      },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: 'service.k8s.aws/nlb',
        selector: { app: 'echo' },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    },
  });
  const hostname = await eventually('load balancer hostname', async () => {
    const svc = await core.readNamespacedService({ name: 'svc-nlb', namespace: 'default' });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  // Deleted while the controller still runs, so it removes the finalizer and the load balancer.
  await core.deleteNamespacedService({ name: 'svc-nlb', namespace: 'default' });
  await eventually('Service and load balancer deleted', async () => {
    const services = (await core.listNamespacedService({ namespace: 'default' })).items;
    const lbs = (await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    return services.some((s) => s.metadata?.name === 'svc-nlb') || lbs.some((l) => l.DNSName === hostname)
      ? undefined
      : true;
  });
});

test('helm uninstalls the release, and uninstalling again reports there was none', async () => {
  assert.equal(await helmUninstall(target, kc, release, namespace), true);
  assert.equal((await controllerDeployments()).length, 0);
  const accounts = (await core.listNamespacedServiceAccount({ namespace })).items;
  assert.ok(!accounts.some((a) => a.metadata?.name === 'aws-load-balancer-controller'));
  assert.equal(await helmUninstall(target, kc, release, namespace), false);
  assert.deepEqual(readdirSync(privateTmp), []);
});
