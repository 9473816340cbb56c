// The Kubernetes API server of the lab's cluster, reached the way `aws eks update-kubeconfig`
// does: DescribeCluster gives endpoint and CA; the bearer token is a presigned STS
// GetCallerIdentity URL bound to the cluster's name, made fresh here and never returned.
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { STSClient } from '@aws-sdk/client-sts';
import { KeepAliveKubeConfig } from './kube-agent.js';
import { awsClientOptions, type Target } from './target.js';

/** An EKS bearer token for the cluster, valid for 15 minutes (aws-iam-authenticator's window). */
export async function eksToken(target: Target, clusterName: string): Promise<string> {
  const sts = new STSClient(awsClientOptions(target));
  const endpoint = new URL(target.awsEndpoint ?? `https://sts.${target.region}.amazonaws.com/`);
  const signer = new SignatureV4({
    credentials: sts.config.credentials,
    region: target.region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: endpoint.host, 'x-k8s-aws-id': clusterName },
  });
  const signed = await signer.presign(request, { expiresIn: 60 });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  const url = `${endpoint.protocol}//${endpoint.host}/?${query}`;
  sts.destroy();
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/** The cluster has no API server to reach: not yet (CREATING), or no longer (DELETING). */
export class ClusterWithoutEndpoint extends Error {
  override name = 'ClusterWithoutEndpoint';
}

/**
 * A client configuration for the cluster's API server, authenticated with an EKS token that is
 * made again before it expires (15 minutes), since one activity may wait longer than that.
 */
export async function clusterKubeConfig(target: Target, clusterName: string): Promise<KubeConfig> {
  const eks = new EKSClient(awsClientOptions(target));
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  eks.destroy();
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
    throw new ClusterWithoutEndpoint(`cluster ${clusterName} has no endpoint (status ${cluster?.status})`);
  }
  const kc = new RefreshingKubeConfig(() => eksToken(target, clusterName));
  kc.loadFromOptions({
    clusters: [
      { name: clusterName, server: cluster.endpoint, caData: cluster.certificateAuthority.data, skipTLSVerify: false },
    ],
    users: [{ name: 'eks', token: await eksToken(target, clusterName) }],
    contexts: [{ name: clusterName, cluster: clusterName, user: 'eks' }],
    currentContext: clusterName,
  });
  return kc;
}

const tokenLifetimeMs = 10 * 60_000; // EKS accepts a token for 15 minutes

class RefreshingKubeConfig extends KeepAliveKubeConfig {
  private madeAt = Date.now();

  constructor(private readonly newToken: () => Promise<string>) {
    super();
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.madeAt < tokenLifetimeMs) return;
    const user = this.getCurrentUser() as { token?: string } | null;
    if (user) user.token = await this.newToken();
    this.madeAt = Date.now();
  }

  override async applySecurityAuthentication(
    context: Parameters<KubeConfig['applySecurityAuthentication']>[0],
  ): Promise<void> {
    await this.fresh();
    return super.applySecurityAuthentication(context);
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await this.fresh();
    return super.applyToHTTPSOptions(opts);
  }

  override async applyToFetchOptions(
    opts: Parameters<KubeConfig['applyToFetchOptions']>[0],
  ): ReturnType<KubeConfig['applyToFetchOptions']> {
    await this.fresh();
    return super.applyToFetchOptions(opts);
  }
}

/** The namespace the lab's test workloads live in. */
export const labNamespace = 'netlab';

export const labLabels = (labId: string, app: string): Record<string, string> => ({ app, 'netlab.io/lab-id': labId });

export function namespaceObject(labId: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: labNamespace, labels: { 'netlab.io/lab-id': labId } },
  };
}

/** A Deployment of one container, labelled with the lab's id. */
export function deploymentObject(
  labId: string,
  name: string,
  image: string,
  replicas: number,
  containerPort = 80,
): KubernetesObject & { spec: unknown } {
  const labels = labLabels(labId, name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: labNamespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name, image, ports: [{ containerPort }] }] } },
    },
  };
}

export async function scaleDeployment(kc: KubeConfig, name: string, replicas: number): Promise<void> {
  await kc
    .makeApiClient(AppsV1Api)
    .patchNamespacedDeploymentScale(
      { name, namespace: labNamespace, body: { spec: { replicas } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

export async function podsOf(kc: KubeConfig, app: string): Promise<V1Pod[]> {
  const { items } = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: labNamespace, labelSelector: `app=${app}` });
  return items.filter((p) => !p.metadata?.deletionTimestamp);
}

export const isRunningReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
