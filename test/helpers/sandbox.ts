// What the sandbox tests share: the lab's own target configuration pointed at the sandbox,
// AWS clients built from it, the gateway's admin API, and a poll-until helper.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ensureIrsaRole, ensureOidcProvider, type IrsaPurpose } from '../../activities/iam.js';
import { clusterKubeConfig } from '../../activities/kube.js';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { awsClientOptions } from '../../activities/target.js';
import { sandboxTarget } from '../../worker/config.js';
import { endpoints } from '../../sandbox/config.js';
import { roleArnAnnotation } from '../../sandbox/cloud/irsa.js';

export const target = sandboxTarget();
/**
 * Tests see each answer of the sandbox as it is: no SDK retries behind their back. So no reused
 * connections either: a kept-alive socket the gateway closes just as a request goes out is a
 * "socket hang up", which the product's clients retry and which is no answer of the sandbox.
 */
export const singleAttempt = {
  ...awsClientOptions(target),
  maxAttempts: 1,
  requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
};
const options = singleAttempt;
export const aws = {
  cloudformation: new CloudFormationClient(options),
  ec2: new EC2Client(options),
  eks: new EKSClient(options),
  elbv2: new ElasticLoadBalancingV2Client(options),
  // Route53 allows five requests per second (the gateway throttles beyond): retry as ExternalDNS does.
  route53: new Route53Client({ ...options, maxAttempts: 8, retryMode: 'adaptive' }),
};

export async function gatewayAdmin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${endpoints.gateway}/_netlab/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`gateway ${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The fault a lab test injects most: AWS refusing every CreateNodegroup, as a missing permission would. */
export const nodegroupAccessDenied = {
  service: 'eks',
  operation: 'CreateNodegroup',
  mode: 'always',
  error: 'AccessDeniedException',
};

/** Runs `use` with the fault injected in the gateway; every fault is cleared afterwards. */
export async function withFault<T>(fault: Record<string, unknown>, use: () => Promise<T>): Promise<T> {
  await gatewayAdmin('POST', 'faults', fault);
  try {
    return await use();
  } finally {
    await gatewayAdmin('DELETE', 'faults');
  }
}

/** Polls `check` until it returns a value other than undefined; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A name unique to this test run, so reruns against a long-lived sandbox never collide. */
export const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}`;

/** The lab's network stack (VPC and three subnets in three zones), for tests that need a VPC. */
export async function createNetwork(
  labId: string,
): Promise<{ vpcId: string; subnetIds: string[]; clusterRoleArn: string; nodeRoleArn: string }> {
  const StackName = `${labId}-network`;
  await aws.cloudformation.send(
    new CreateStackCommand({
      StackName,
      TemplateBody: readFileSync(new URL('../../activities/templates/network.yaml', import.meta.url), 'utf8'),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: [
        { ParameterKey: 'LabId', ParameterValue: labId },
        { ParameterKey: 'Zones', ParameterValue: ['a', 'b', 'c'].map((z) => `${target.region}${z}`).join(',') },
        { ParameterKey: 'SubnetCidrs', ParameterValue: '192.168.1.0/24,192.168.2.0/24,192.168.3.0/24' },
      ],
    }),
  );
  const stack = await eventually('network stack', async () => {
    const { Stacks } = await aws.cloudformation.send(new DescribeStacksCommand({ StackName }));
    return Stacks?.[0]?.StackStatus === 'CREATE_COMPLETE' ? Stacks[0] : undefined;
  });
  const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  return {
    vpcId: out.VpcId!,
    subnetIds: out.SubnetIds!.split(','),
    clusterRoleArn: out.ClusterRoleArn!,
    nodeRoleArn: out.NodeRoleArn!,
  };
}

export async function deleteNetwork(labId: string): Promise<void> {
  await aws.cloudformation.send(new DeleteStackCommand({ StackName: `${labId}-network` }));
}

const notFound = (err: Error): true | undefined => (err.name === 'ResourceNotFoundException' ? true : undefined);

/**
 * What sandbox tests of one part need: the lab's network, an EKS cluster (1.36) and a node group of
 * `nodes` t3.medium, made through the gateway as a lab makes them; returns its kubeconfig and network.
 */
export async function createTestCluster(
  labId: string,
  nodes: number,
): Promise<{ kc: KubeConfig; network: Awaited<ReturnType<typeof createNetwork>> }> {
  const network = await createNetwork(labId);
  const tags = { 'netlab.io/lab-id': labId };
  await aws.eks.send(
    new CreateClusterCommand({
      name: labId,
      version: '1.36',
      roleArn: network.clusterRoleArn,
      resourcesVpcConfig: { subnetIds: network.subnetIds },
      tags,
    }),
  );
  await eventually(
    'cluster ACTIVE',
    async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name: labId }))).cluster?.status === 'ACTIVE' ? true : undefined,
    180_000,
  );
  await aws.eks.send(
    new CreateNodegroupCommand({
      clusterName: labId,
      nodegroupName: `${labId}-ng`,
      nodeRole: network.nodeRoleArn,
      subnets: network.subnetIds,
      instanceTypes: ['t3.medium'],
      scalingConfig: { minSize: nodes, maxSize: nodes, desiredSize: nodes },
      tags,
    }),
  );
  await eventually('node group ACTIVE', async () => {
    const { nodegroup } = await aws.eks.send(
      new DescribeNodegroupCommand({ clusterName: labId, nodegroupName: `${labId}-ng` }),
    );
    return nodegroup?.status === 'ACTIVE' ? true : undefined;
  });
  return { kc: await clusterKubeConfig(target, labId), network };
}

/** Deletes what createTestCluster made: node group, cluster, network. */
export async function deleteTestCluster(labId: string): Promise<void> {
  await aws.eks
    .send(new DeleteNodegroupCommand({ clusterName: labId, nodegroupName: `${labId}-ng` }))
    .catch(() => undefined);
  await eventually('node group gone', async () =>
    aws.eks
      .send(new DescribeNodegroupCommand({ clusterName: labId, nodegroupName: `${labId}-ng` }))
      .then(() => undefined, notFound),
  );
  await aws.eks.send(new DeleteClusterCommand({ name: labId })).catch(() => undefined);
  await eventually('cluster gone', async () =>
    aws.eks.send(new DescribeClusterCommand({ name: labId })).then(() => undefined, notFound),
  );
  await deleteNetwork(labId);
}

/** The lab's IRSA role for a purpose, made as the lab makes it (OIDC provider, policy, role); `deleteIam` removes them. */
export async function labIrsaRole(labId: string, purpose: IrsaPurpose): Promise<string> {
  return (await ensureIrsaRole(target, labId, purpose, await ensureOidcProvider(target, labId))).roleArn;
}

export const lbControllerAccount = { namespace: 'kube-system', name: 'aws-load-balancer-controller' };

/**
 * The load balancer controller as the emulation acts on it: a Deployment labelled as its chart
 * labels it, with the cluster's name and VPC as flags, running as the service account
 * `kube-system/aws-load-balancer-controller`, annotated with `roleArn` when given (without one,
 * the controller calls AWS with its node's instance role, as on EKS).
 */
export async function startLbController(kc: KubeConfig, labId: string, vpcId: string, roleArn?: string): Promise<void> {
  const { namespace, name } = lbControllerAccount;
  await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount({
    namespace,
    body: { metadata: { name, namespace, annotations: roleArn ? { [roleArnAnnotation]: roleArn } : {} } },
  });
  const labels = { app: name, 'app.kubernetes.io/name': name };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            containers: [
              {
                name,
                image: 'public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1',
                args: [`--cluster-name=${labId}`, `--aws-vpc-id=${vpcId}`],
              },
            ],
          },
        },
      },
    },
  });
}
