// IRSA in the sandbox, as on EKS: the LB controller's service account token is exchanged with STS
// for its role's credentials, and each call made with them is checked against the role's policy.
// The must-show of issue 8: with the old trimmed policy (no AddTags on listeners) the controller's
// call sequence is refused at CreateListener; with upstream's policy it goes through.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
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
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { labTag } from '../../activities/cloudformation.js';
import { deleteIam, ensureIrsaRole, ensureOidcProvider } from '../../activities/iam.js';
import { awsClientOptions } from '../../activities/target.js';
import {
  assumeRoleWithWebIdentity,
  irsaClientOptions,
  roleArnAnnotation,
  serviceAccountToken,
} from '../../sandbox/cloud/irsa.js';
import { aws, createTestCluster, deleteTestCluster, target, unique } from '../helpers/sandbox.js';

const labId = unique('irsa');
const iam = new IAMClient(awsClientOptions(target));
const namespace = 'kube-system';
const controllerAccount = 'aws-load-balancer-controller';
const trimmedPolicyName = `${labId}-trimmed-lbc`;
let kc: KubeConfig;
let core: CoreV1Api;
let vpcId: string;
let subnetIds: string[];
let upstreamRoleArn: string;
let trimmedRoleArn: string;
let trimmedPolicyArn: string;

/** The service account the controller's chart makes, annotated with the given role. */
async function annotate(roleArn: string): Promise<void> {
  await core.patchNamespacedServiceAccount({
    name: controllerAccount,
    namespace,
    body: [{ op: 'add', path: `/metadata/annotations`, value: { [roleArnAnnotation]: roleArn } }],
  });
}

/** What the controller does for an NLB Service, in order; returns the steps that went through, and the refusal. */
async function controllerCalls(suffix: string): Promise<{ done: string[]; refused?: Error }> {
  const options = await irsaClientOptions(kc, namespace, controllerAccount);
  const elbv2 = new ElasticLoadBalancingV2Client(options);
  const ec2 = new EC2Client(options);
  const tags: Tag[] = [
    { Key: 'elbv2.k8s.aws/cluster', Value: labId },
    { Key: 'service.k8s.aws/stack', Value: `default/tetris-${suffix}` },
    { Key: labTag, Value: labId },
  ];
  const done: string[] = [];
  const step = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
    const out = await call();
    done.push(name);
    return out;
  };
  try {
    const sg = await step('CreateSecurityGroup', () =>
      ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `k8s-${suffix}-${labId}`,
          Description: '[k8s] Managed SecurityGroup for LoadBalancer',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
        }),
      ),
    );
    const { TargetGroups } = await step('CreateTargetGroup', () =>
      elbv2.send(
        new CreateTargetGroupCommand({
          Name: `k8s-tg-${suffix}`,
          Protocol: 'TCP',
          Port: 80,
          VpcId: vpcId,
          TargetType: 'ip',
          Tags: tags,
        }),
      ),
    );
    const { LoadBalancers } = await step('CreateLoadBalancer', () =>
      elbv2.send(
        new CreateLoadBalancerCommand({
          Name: `k8s-lb-${suffix}`,
          Type: 'network',
          Scheme: 'internet-facing',
          Subnets: subnetIds,
          SecurityGroups: [sg.GroupId!],
          Tags: tags,
        }),
      ),
    );
    const { Listeners } = await step('CreateListener', () =>
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: LoadBalancers![0]!.LoadBalancerArn,
          Protocol: 'TCP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: TargetGroups![0]!.TargetGroupArn }],
          Tags: tags,
        }),
      ),
    );
    await step('AddTags on the listener', () =>
      elbv2.send(
        new AddTagsCommand({
          ResourceArns: [Listeners![0]!.ListenerArn!],
          Tags: [{ Key: 'service.k8s.aws/resource', Value: 'listener' }],
        }),
      ),
    );
    await step('DeleteLoadBalancer', () =>
      elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: LoadBalancers![0]!.LoadBalancerArn })),
    );
    await step('DeleteTargetGroup', () =>
      elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: TargetGroups![0]!.TargetGroupArn })),
    );
    await step('DeleteSecurityGroup', () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId })));
    return { done };
  } catch (err) {
    return { done, refused: err as Error };
  }
}

/** Deletes, with the lab's own credentials, what a refused sequence left. */
async function cleanUp(suffix: string): Promise<void> {
  const { LoadBalancers = [] } = await aws.elbv2.send(new DescribeLoadBalancersCommand({}));
  for (const lb of LoadBalancers.filter((l) => l.LoadBalancerName === `k8s-lb-${suffix}`))
    await aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  const { TargetGroups = [] } = await aws.elbv2.send(new DescribeTargetGroupsCommand({}));
  for (const tg of TargetGroups.filter((t) => t.TargetGroupName === `k8s-tg-${suffix}`))
    await aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }));
}

before(async () => {
  let network;
  ({ kc, network } = await createTestCluster(labId, 1));
  ({ vpcId, subnetIds } = network);
  core = kc.makeApiClient(CoreV1Api);
  const oidc = await ensureOidcProvider(target, labId);
  upstreamRoleArn = (await ensureIrsaRole(target, labId, 'lbController', oidc)).roleArn;
  // The same trust (this cluster's issuer, the controller's service account), with the old policy.
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: `${labId}-lbController` }));
  const created = await iam.send(
    new CreatePolicyCommand({
      PolicyName: trimmedPolicyName,
      PolicyDocument: readFileSync(new URL('../fixtures/lbc-iam-policy-trimmed.json', import.meta.url), 'utf8'),
    }),
  );
  trimmedPolicyArn = created.Policy!.Arn!;
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `${labId}-trimmed`,
      AssumeRolePolicyDocument: decodeURIComponent(Role!.AssumeRolePolicyDocument!),
    }),
  );
  trimmedRoleArn = role.Role!.Arn!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: `${labId}-trimmed`, PolicyArn: trimmedPolicyArn }));
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: controllerAccount } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'someone-else' } } });
});

after(async () => {
  for (const suffix of ['old', 'new']) await cleanUp(suffix).catch(() => undefined);
  await iam
    .send(new DetachRolePolicyCommand({ RoleName: `${labId}-trimmed`, PolicyArn: trimmedPolicyArn }))
    .catch(() => undefined);
  await iam.send(new DeleteRoleCommand({ RoleName: `${labId}-trimmed` })).catch(() => undefined);
  await iam.send(new DeletePolicyCommand({ PolicyArn: trimmedPolicyArn })).catch(() => undefined);
  await deleteIam(target, labId);
  await deleteTestCluster(labId);
});

test('with the old trimmed policy, the controller is refused at CreateListener (AddTags on the listener)', async () => {
  await annotate(trimmedRoleArn);
  const { done, refused } = await controllerCalls('old');
  assert.deepEqual(done, ['CreateSecurityGroup', 'CreateTargetGroup', 'CreateLoadBalancer']);
  assert.equal(refused?.name, 'AccessDenied');
  // moto names every load balancer `app` in its ARN; AWS names an NLB's `net`: the policy allows both.
  assert.match(
    refused.message,
    new RegExp(
      `^User: arn:aws:sts::\\d+:assumed-role/${labId}-trimmed/[^ ]+ is not authorized to perform: elasticloadbalancing:AddTags on resource: arn:aws:elasticloadbalancing:${target.region}:\\d+:listener/(net|app)/k8s-lb-old/`,
    ),
  );
});

test("with the controller's upstream policy, the same sequence goes through", async () => {
  await annotate(upstreamRoleArn);
  const { done, refused } = await controllerCalls('new');
  assert.equal(refused, undefined, `refused: ${refused?.message}`);
  assert.equal(done.length, 8);
});

test("the upstream policy still refuses to delete a load balancer that is not the controller's", async () => {
  const { LoadBalancers } = await aws.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: `not-k8s-${labId}`.slice(0, 32),
      Type: 'network',
      Subnets: subnetIds,
      Tags: [{ Key: labTag, Value: labId }],
    }),
  );
  const lbArn = LoadBalancers![0]!.LoadBalancerArn!;
  try {
    const elbv2 = new ElasticLoadBalancingV2Client(await irsaClientOptions(kc, namespace, controllerAccount));
    await assert.rejects(elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn })), {
      name: 'AccessDenied',
    });
  } finally {
    await aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
  }
});

test("STS refuses the role to another service account's token, and a token that is not the cluster's", async () => {
  const { token } = await serviceAccountToken(kc, namespace, 'someone-else');
  await assert.rejects(assumeRoleWithWebIdentity(upstreamRoleArn, token, 'wrong-account'), {
    name: 'AccessDenied',
    message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  });
  const right = await serviceAccountToken(kc, namespace, controllerAccount);
  const [header, payload] = right.token.split('.');
  await assert.rejects(assumeRoleWithWebIdentity(upstreamRoleArn, `${header}.${payload}.forged`, 'forged'), {
    name: 'InvalidIdentityTokenException',
  });
  const credentials = await assumeRoleWithWebIdentity(upstreamRoleArn, right.token, 'right-account');
  assert.match(credentials.accessKeyId, /^ASIA/);
});
