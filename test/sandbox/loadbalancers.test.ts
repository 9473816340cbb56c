// The AWS Load Balancer Controller as the sandbox emulates it (v2.17.1, the version the lab pins),
// and the lab's load-balancer undos against it: finalizers first and last, frontend and shared
// backend security groups, tags everywhere (listeners too), ELBv2 states over time, the delete
// order, and nothing left when a Service goes while its load balancer is still provisioning or
// when the controller went first.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deleteNetworkStack, describeNetworkStack } from '../../activities/cloudformation.js';
import { targetIps } from '../../activities/elbv2.js';
import { helmUpgradeInstall } from '../../activities/helm.js';
import { deleteIam } from '../../activities/iam.js';
import { createActivities } from '../../activities/index.js';
import { applyObjects, deleteObjects } from '../../activities/kube-apply.js';
import { deploymentObject, labNamespace, namespaceObject, scaleDeployment } from '../../activities/kube.js';
import { lbcChartVersion, lbcRelease } from '../../activities/phases/lbcontroller.js';
import { deleteNlbTest, nlbService } from '../../activities/phases/loadbalancers.js';
import { validateSpec, type LabSpec } from '../../lab/spec.js';
import { roleArnAnnotation } from '../../sandbox/cloud/irsa.js';
import type { LatencyProfile } from '../../sandbox/cloud/latency.js';
import {
  aws,
  createNetwork,
  createTestCluster,
  deleteTestCluster,
  eventually,
  gatewayAdmin,
  labIrsaRole,
  target,
  unique,
} from '../helpers/sandbox.js';

const labId = unique('lbc');
const chart = fileURLToPath(new URL('../../sandbox/charts/aws-load-balancer-controller', import.meta.url));
const echo = { app: 'echo', image: 'registry.k8s.io/echoserver:1.10', port: 8080 };
const defaultTags = { 'netlab.io/lab-id': labId, team: 'netlab-test' };

let kc: KubeConfig;
let core: CoreV1Api;
let vpcId: string;
let profile: LatencyProfile;
let spec: LabSpec;
/** The lab's IRSA role for the controller: it calls AWS with it, as on EKS. */
let roleArn: string;

const tagsOf = async (arn: string): Promise<Record<string, string>> => {
  const { TagDescriptions = [] } = await aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  return Object.fromEntries((TagDescriptions[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
};
const sgTags = (g: SecurityGroup): Record<string, string> =>
  Object.fromEntries((g.Tags ?? []).map((t) => [t.Key!, t.Value!]));
const groupsById = async (ids: string[]): Promise<SecurityGroup[]> =>
  (await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: ids }] })))
    .SecurityGroups ?? [];
const controllerGroups = async (): Promise<SecurityGroup[]> =>
  (
    await aws.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:elbv2.k8s.aws/cluster', Values: [labId] }] }),
    )
  ).SecurityGroups ?? [];
const loadBalancers = async (): Promise<LoadBalancer[]> =>
  (await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
const ofStack = async (stack: string): Promise<LoadBalancer | undefined> => {
  for (const lb of await loadBalancers())
    if ((await tagsOf(lb.LoadBalancerArn!))['service.k8s.aws/stack'] === stack) return lb;
  return undefined;
};
/** Everything in ELBv2 and EC2 that carries the lab's id or the controller's tag for its cluster. */
async function leftovers(): Promise<string[]> {
  const { TargetGroups = [] } = await aws.elbv2.send(new DescribeTargetGroupsCommand({}));
  const arns = [
    ...(await loadBalancers()).map((l) => l.LoadBalancerArn!),
    ...TargetGroups.map((t) => t.TargetGroupArn!),
  ];
  const out: string[] = [];
  for (const arn of arns) {
    const tags = await tagsOf(arn);
    if (tags['netlab.io/lab-id'] === labId || tags['elbv2.k8s.aws/cluster'] === labId) out.push(arn);
  }
  out.push(...(await controllerGroups()).map((g) => g.GroupId!));
  return out;
}
const serviceGone = async (name: string): Promise<boolean> =>
  core.readNamespacedService({ name, namespace: labNamespace }).then(
    () => false,
    () => true,
  );
const setProfile = (changes: Partial<LatencyProfile>): Promise<unknown> =>
  gatewayAdmin('PUT', 'profile', { ...profile, ...changes });
const installController = (): Promise<unknown> =>
  helmUpgradeInstall(target, kc, {
    ...lbcRelease,
    chart,
    version: lbcChartVersion,
    values: {
      clusterName: labId,
      region: target.region,
      vpcId,
      defaultTags,
      serviceAccount: { create: true, name: lbcRelease.name, annotations: { [roleArnAnnotation]: roleArn } },
    },
    timeoutSeconds: 120,
  });

before(async () => {
  profile = await gatewayAdmin<LatencyProfile>('GET', 'profile');
  const cluster = await createTestCluster(labId, 2);
  kc = cluster.kc;
  vpcId = cluster.network.vpcId;
  core = kc.makeApiClient(CoreV1Api);
  roleArn = await labIrsaRole(labId, 'lbController');
  spec = validateSpec({ labId, region: target.region }).spec!;
  await applyObjects(kc, [namespaceObject(labId), deploymentObject(labId, echo.app, echo.image, 2, echo.port)]);
});

after(async () => {
  await gatewayAdmin('DELETE', 'faults');
  await gatewayAdmin('PUT', 'profile', profile);
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('without a running controller a Service gets no finalizer and nothing is made, as on EKS', async () => {
  await applyObjects(kc, [nlbService(labId, 'svc-early', echo.app, echo.port)]);
  const svc = await core.readNamespacedService({ name: 'svc-early', namespace: labNamespace });
  assert.deepEqual(svc.metadata?.finalizers ?? [], []);
  await deleteObjects(kc, [nlbService(labId, 'svc-early', echo.app, echo.port)]);
  assert.equal(await serviceGone('svc-early'), true);
  assert.deepEqual(await leftovers(), []);
});

test('the chart renders clusterName, region, vpcId and defaultTags as the controller’s flags, under serviceAccount.name', async () => {
  const result = await installController();
  assert.deepEqual(result, {
    revision: 1,
    status: 'deployed',
    chart: `aws-load-balancer-controller-${lbcChartVersion}`,
    appVersion: 'v2.17.1',
  });
  const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ ...lbcRelease });
  const pod = d.spec?.template.spec;
  assert.equal(pod?.serviceAccountName, lbcRelease.name);
  assert.deepEqual(pod?.containers[0]?.args, [
    `--cluster-name=${labId}`,
    '--ingress-class=alb',
    `--aws-region=${target.region}`,
    `--aws-vpc-id=${vpcId}`,
    `--default-tags=netlab.io/lab-id=${labId},team=netlab-test`,
  ]);
});

test('an NLB Service: finalizer, frontend and shared backend groups, load balancer, target group and listener, all tagged', async () => {
  await applyObjects(kc, [nlbService(labId, 'svc-a', echo.app, echo.port)]);
  const hostname = await eventually('svc-a hostname', async () => {
    const svc = await core.readNamespacedService({ name: 'svc-a', namespace: labNamespace });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  const svc = await core.readNamespacedService({ name: 'svc-a', namespace: labNamespace });
  assert.deepEqual(svc.metadata?.finalizers, ['service.k8s.aws/resources']);
  const lb = (await loadBalancers()).find((l) => l.DNSName === hostname)!;
  assert.equal(lb.Type, 'network');
  assert.equal(lb.Scheme, 'internet-facing');
  const stack = {
    'netlab.io/lab-id': labId,
    team: 'netlab-test',
    'elbv2.k8s.aws/cluster': labId,
    'service.k8s.aws/stack': `${labNamespace}/svc-a`,
  };
  assert.deepEqual(await tagsOf(lb.LoadBalancerArn!), { ...stack, 'service.k8s.aws/resource': 'LoadBalancer' });
  const { TargetGroups = [] } = await aws.elbv2.send(
    new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
  );
  assert.equal(TargetGroups.length, 1);
  assert.equal(TargetGroups[0]?.TargetType, 'ip');
  assert.equal(TargetGroups[0]?.Port, echo.port);
  assert.deepEqual(await tagsOf(TargetGroups[0]!.TargetGroupArn!), {
    ...stack,
    'service.k8s.aws/resource': `${labNamespace}/svc-a:80`,
  });
  const { Listeners = [] } = await aws.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
  );
  assert.equal(Listeners.length, 1);
  assert.deepEqual(await tagsOf(Listeners[0]!.ListenerArn!), { ...stack, 'service.k8s.aws/resource': '80' });

  const groups = await groupsById(lb.SecurityGroups ?? []);
  assert.equal(groups.length, 2);
  const backend = groups.find((g) => g.GroupName!.startsWith(`k8s-traffic-${labId.replace(/-/g, '')}-`))!;
  const frontend = groups.find((g) => g !== backend)!;
  assert.match(frontend.GroupName!, /^k8s-netlab-svca-[0-9a-f]{10}$/);
  assert.deepEqual(sgTags(frontend), { ...stack, 'service.k8s.aws/resource': 'ManagedLBSecurityGroup' });
  assert.deepEqual(
    frontend.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges?.[0]?.CidrIp]),
    [['tcp', 80, '0.0.0.0/0']],
  );
  assert.deepEqual(sgTags(backend), {
    'netlab.io/lab-id': labId,
    team: 'netlab-test',
    'elbv2.k8s.aws/cluster': labId,
    'elbv2.k8s.aws/resource': 'backend-sg',
  });

  // ip mode: each pod ENI's group admits the backend group on the target port. Pod IPs become ENI
  // addresses with the VPC CNI emulation; until then no ENI holds them and no rule is needed.
  const pods = await targetIps(target, lb.LoadBalancerArn!);
  assert.equal(pods.length, 2);
  const { NetworkInterfaces = [] } = await aws.ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'addresses.private-ip-address', Values: pods },
      ],
    }),
  );
  for (const eni of NetworkInterfaces) {
    const eniGroupIds = (eni.Groups ?? []).map((g) => g.GroupId!);
    await eventually(`a rule from the backend group on ${eni.NetworkInterfaceId}`, async () => {
      const perms = (await groupsById(eniGroupIds)).flatMap((g) => g.IpPermissions ?? []);
      return perms.some(
        (p) => p.FromPort === echo.port && p.UserIdGroupPairs?.some((g) => g.GroupId === backend.GroupId),
      )
        ? true
        : undefined;
    });
  }
});

test('an ALB Ingress: its own finalizer and stack tags, targets on the backend Service’s targetPort; deleted with it', async () => {
  const net = kc.makeApiClient(NetworkingV1Api);
  const backend = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo-web', namespace: labNamespace },
    spec: { type: 'ClusterIP', selector: { app: echo.app }, ports: [{ port: 80, targetPort: echo.port }] },
  };
  const ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'web',
      namespace: labNamespace,
      annotations: {
        'alb.ingress.kubernetes.io/scheme': 'internal',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/tags': 'purpose=alb-test',
      },
    },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'echo-web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  };
  await applyObjects(kc, [backend, ingress]);
  const hostname = await eventually('ingress hostname', async () => {
    const ing = await net.readNamespacedIngress({ name: 'web', namespace: labNamespace });
    return ing.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  const ing = await net.readNamespacedIngress({ name: 'web', namespace: labNamespace });
  assert.deepEqual(ing.metadata?.finalizers, ['ingress.k8s.aws/resources']);
  const lb = (await loadBalancers()).find((l) => l.DNSName === hostname)!;
  assert.equal(lb.Type, 'application');
  assert.equal(lb.Scheme, 'internal');
  const tags = await tagsOf(lb.LoadBalancerArn!);
  assert.equal(tags['ingress.k8s.aws/stack'], `${labNamespace}/web`);
  assert.equal(tags.purpose, 'alb-test');
  assert.equal(tags['netlab.io/lab-id'], labId);
  const { TargetGroups = [] } = await aws.elbv2.send(
    new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
  );
  assert.equal(TargetGroups[0]?.Port, echo.port);
  assert.equal(
    (await tagsOf(TargetGroups[0]!.TargetGroupArn!))['ingress.k8s.aws/resource'],
    `${labNamespace}/web-echo-web:${echo.port}`,
  );
  await deleteObjects(kc, [backend, ingress]);
  await eventually('ingress gone', () =>
    net.readNamespacedIngress({ name: 'web', namespace: labNamespace }).then(
      () => undefined,
      () => true,
    ),
  );
  assert.equal(
    (await loadBalancers()).some((l) => l.LoadBalancerArn === lb.LoadBalancerArn),
    false,
  );
  // Found by its stack tags although the backend Service that named it is gone too.
  const groups = (await aws.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  assert.equal(
    groups.some((g) => g.TargetGroupArn === TargetGroups[0]!.TargetGroupArn),
    false,
  );
});

test('a load balancer provisions, then is active; targets start initial, then healthy; a deregistered target drains for its delay', async () => {
  await setProfile({ loadBalancerProvisionMs: 20_000, targetInitialMs: 10_000 });
  await applyObjects(kc, [nlbService(labId, 'svc-b', echo.app, echo.port)]);
  const lb = await eventually('svc-b load balancer', () => ofStack(`${labNamespace}/svc-b`));
  assert.equal(lb.State?.Code, 'provisioning');
  const tg = await eventually('svc-b target group with targets', async () => {
    const { TargetGroups = [] } = await aws.elbv2.send(
      new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
    );
    const arn = TargetGroups[0]?.TargetGroupArn;
    const health = arn ? await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })) : undefined;
    return (health?.TargetHealthDescriptions ?? []).length === 2 ? arn : undefined;
  });
  const states = async (): Promise<string[]> =>
    ((await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [])
      .map((t) => t.TargetHealth!.State!)
      .sort();
  assert.deepEqual(await states(), ['initial', 'initial']);
  await eventually('targets healthy', async () => ((await states()).join() === 'healthy,healthy' ? true : undefined));
  await eventually('load balancer active', async () => {
    const { LoadBalancers = [] } = await aws.elbv2.send(
      new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn!] }),
    );
    return LoadBalancers[0]?.State?.Code === 'active' ? true : undefined;
  });

  await aws.elbv2.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tg,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }],
    }),
  );
  await scaleDeployment(kc, echo.app, 1);
  await eventually('one target draining', async () =>
    (await states()).join() === 'draining,healthy' ? true : undefined,
  );
  // The lab counts only targets that take traffic.
  assert.equal((await targetIps(target, lb.LoadBalancerArn!)).length, 1);
  await eventually('the drained target gone after the delay', async () =>
    (await states()).join() === 'healthy' ? true : undefined,
  );
  await scaleDeployment(kc, echo.app, 2);
  await setProfile({});
});

test('on delete: listener, load balancer, target group, then its group (retrying DependencyViolation), then the finalizer; the backend group goes with the last', async () => {
  await gatewayAdmin('POST', 'faults', {
    service: 'ec2',
    operation: 'DeleteSecurityGroup',
    mode: 'once',
    error: 'DependencyViolation',
    message: 'resource sg has a dependent object',
  });
  const lb = (await ofStack(`${labNamespace}/svc-a`))!;
  await core.deleteNamespacedService({ name: 'svc-a', namespace: labNamespace });
  await eventually('svc-a gone', async () => ((await serviceGone('svc-a')) ? true : undefined), 120_000);
  // The finalizer went last: by now everything of svc-a is gone, the shared backend group stays for svc-b.
  assert.equal(
    (await loadBalancers()).some((l) => l.LoadBalancerArn === lb.LoadBalancerArn),
    false,
  );
  const left = await groupsById(lb.SecurityGroups!);
  assert.equal(left.length, 1);
  assert.match(left[0]!.GroupName!, /^k8s-traffic-/);
  const faults = await gatewayAdmin<{ hits: number }[]>('GET', 'faults');
  assert.equal(faults.length, 0, 'the DependencyViolation was met and retried');

  await core.deleteNamespacedService({ name: 'svc-b', namespace: labNamespace });
  await eventually('svc-b gone', async () => ((await serviceGone('svc-b')) ? true : undefined), 120_000);
  assert.deepEqual(await leftovers(), []);
});

test('a Service deleted while its load balancer still provisions and has no hostname: the undo waits for it, nothing is left', async () => {
  // The controller's CreateListener denied (as under the old IAM policy): load balancer, target
  // group and groups exist, provisioning, and the Service never gets a hostname. Its groups are
  // still in use for a while after the load balancer goes (its ENIs linger), so the controller
  // retries their delete before it removes the finalizer.
  await setProfile({ loadBalancerProvisionMs: 10 * 60_000 });
  await gatewayAdmin('POST', 'faults', {
    service: 'elasticloadbalancing',
    operation: 'CreateListener',
    mode: 'always',
    error: 'AccessDenied',
  });
  await gatewayAdmin('POST', 'faults', {
    service: 'ec2',
    operation: 'DeleteSecurityGroup',
    mode: 'always',
    error: 'DependencyViolation',
  });
  await applyObjects(kc, [nlbService(labId, 'svc-nlb-ip-type', echo.app, echo.port)]);
  const lb = await eventually('the load balancer', () => ofStack(`${labNamespace}/svc-nlb-ip-type`));
  assert.equal(lb.State?.Code, 'provisioning');
  await eventually('the target group', async () =>
    (await leftovers()).some((arn) => arn.includes(':targetgroup/')) ? true : undefined,
  );
  const svc = await core.readNamespacedService({ name: 'svc-nlb-ip-type', namespace: labNamespace });
  assert.equal(svc.status?.loadBalancer?.ingress, undefined);

  // The lab's undos in teardown order: the NLB test's objects, then the controller.
  const undo = deleteNlbTest(target, kc, labId);
  await eventually('the load balancer deleted', async () =>
    (await ofStack(`${labNamespace}/svc-nlb-ip-type`)) ? undefined : true,
  );
  await gatewayAdmin('DELETE', 'faults');
  await undo;
  assert.equal(await serviceGone('svc-nlb-ip-type'), true, 'the undo returned before the Service was gone');
  await createActivities(target).uninstallLbController(spec);
  assert.deepEqual(await leftovers(), []);
  await setProfile({});
});

test('a controller uninstalled before its finalizer ran: the uninstall undo deletes what it left, backend group too', async () => {
  await installController();
  await applyObjects(kc, [nlbService(labId, 'svc-c', echo.app, echo.port)]);
  await eventually('svc-c hostname', async () => {
    const svc = await core.readNamespacedService({ name: 'svc-c', namespace: labNamespace });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  await createActivities(target).uninstallLbController(spec);
  assert.deepEqual(await leftovers(), []);
  // The Service keeps its finalizer with no controller to remove it, as on EKS.
  const svc = await core.readNamespacedService({ name: 'svc-c', namespace: labNamespace });
  assert.deepEqual(svc.metadata?.finalizers, ['service.k8s.aws/resources']);
  await core.patchNamespacedService({
    name: 'svc-c',
    namespace: labNamespace,
    body: [{ op: 'remove', path: '/metadata/finalizers' }],
  });
  await deleteObjects(kc, [nlbService(labId, 'svc-c', echo.app, echo.port)]);
});

test('a leftover tagged security group in the lab’s VPC: the network stack’s delete removes it and finishes', async () => {
  const otherLab = unique('lbcvpc');
  const network = await createNetwork(otherLab);
  const { GroupId } = await aws.ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: network.vpcId,
      GroupName: `k8s-traffic-${otherLab.replace(/-/g, '')}-0123456789`,
      Description: '[k8s] Shared Backend SecurityGroup for LoadBalancer',
      TagSpecifications: [
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: 'elbv2.k8s.aws/cluster', Value: otherLab },
            { Key: 'elbv2.k8s.aws/resource', Value: 'backend-sg' },
          ],
        },
      ],
    }),
  );
  // The stack's own group admits it, as the controller's rules do on the nodes' groups.
  const stackGroup = (await describeNetworkStack(target, otherLab))!.Outputs!.find(
    (o) => o.OutputKey === 'SecurityGroupId',
  )!.OutputValue!;
  await aws.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: stackGroup,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId }] }],
    }),
  );
  await deleteNetworkStack(target, otherLab);
  assert.ok([undefined, 'DELETE_COMPLETE'].includes((await describeNetworkStack(target, otherLab))?.StackStatus));
  assert.deepEqual(
    (await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [GroupId!] }] })))
      .SecurityGroups,
    [],
  );
});
