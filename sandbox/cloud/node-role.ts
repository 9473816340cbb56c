// Pods without IRSA, as on EKS (Amazon EKS User Guide, "Amazon EKS node IAM role" and "IAM roles
// for service accounts"): a pod whose service account has no `eks.amazonaws.com/role-arn` gets no
// web identity, so the AWS SDK's default credential chain ends at the instance metadata service
// (IMDS) of the node it runs on, which hands out the node's instance role: the node group's
// `nodeRole`. Those credentials are an assumed-role session of that role, checked by the gateway
// against the role's policies like an IRSA role's. A pod whose node has no role gets no credentials.
// - nodeIdentity(), nodeIdentityOf(): the instance and instance role of the node a Deployment's
//   pod runs on, or of a named node.
// - InstanceMetadata: an IMDSv2 endpoint per node for real programs (ExternalDNS), serving its
//   role's credentials as EC2's metadata service does.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { AwsCredentialIdentity } from '@smithy/types';
import { endpoints } from '../config.js';
import { moto } from './aws.js';

/** The instance a pod runs on and the role of its instance profile. */
export interface NodeIdentity {
  instanceId: string;
  roleArn: string;
}

/** Temporary credentials of an instance's role, as EC2 gives them to the instance (iam-enforcement.ts). */
export type InstanceRoleCredentials = (identity: NodeIdentity) => Promise<AwsCredentialIdentity>;

/**
 * The node of one of the Deployment's scheduled pods, its instance and its instance role
 * (nodeIdentityOf); undefined when any of these is missing.
 */
export async function nodeIdentity(
  kc: KubeConfig,
  cluster: string,
  deployment: V1Deployment,
): Promise<NodeIdentity | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await core.listNamespacedPod({ namespace: deployment.metadata!.namespace!, labelSelector: selector });
  const nodeName = pods.items.find((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp)?.spec?.nodeName;
  return nodeName ? nodeIdentityOf(kc, cluster, nodeName) : undefined;
}

/**
 * The node's instance (from its providerID) and its node group's nodeRole (EKS
 * DescribeNodegroup); undefined when the node is gone or either is missing.
 */
export async function nodeIdentityOf(
  kc: KubeConfig,
  cluster: string,
  nodeName: string,
): Promise<NodeIdentity | undefined> {
  const node = await kc
    .makeApiClient(CoreV1Api)
    .readNode({ name: nodeName })
    .catch(() => undefined);
  const instanceId = /\/(i-[0-9a-f]+)$/.exec(node?.spec?.providerID ?? '')?.[1];
  const nodegroupName = node?.metadata?.labels?.['eks.amazonaws.com/nodegroup'];
  if (!instanceId || !nodegroupName) return undefined;
  const { nodegroup } = await moto.eks
    .send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName }))
    .catch(() => ({ nodegroup: undefined }));
  return nodegroup?.nodeRole ? { instanceId, roleArn: nodegroup.nodeRole } : undefined;
}

/** IMDS refreshes instance credentials well before they expire; the SDKs refresh five minutes before. */
const refreshBeforeMs = 15 * 60_000;

/**
 * An instance's metadata service, IMDSv2 only, answering what the AWS SDKs' instance credential
 * provider asks (EC2 User Guide, "Use instance metadata to retrieve security credentials"): a
 * session token (PUT /latest/api/token), the role's name and its credentials
 * (/latest/meta-data/iam/security-credentials/<role>). Listens on a loopback port of its own,
 * given to the node's programs as AWS_EC2_METADATA_SERVICE_ENDPOINT.
 */
export class InstanceMetadata {
  private readonly server: Server;
  private readonly tokens = new Set<string>();
  private cached?: AwsCredentialIdentity;

  constructor(
    readonly identity: NodeIdentity,
    private readonly credentials: InstanceRoleCredentials,
    private readonly log: (line: string) => void,
  ) {
    this.server = createServer((req, res) => {
      void this.answer(req.method ?? 'GET', req.url ?? '/', req.headers['x-aws-ec2-metadata-token']).then(
        ({ status, body, headers }) => res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body),
        (err: Error) => {
          this.log(`instance metadata of ${identity.instanceId}: ${err.message}`);
          res.writeHead(500).end();
        },
      );
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolvePromise) => this.server.listen(0, endpoints.host, resolvePromise));
  }

  get endpoint(): string {
    return `http://${endpoints.host}:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server.close();
  }

  private async answer(
    method: string,
    path: string,
    token: string | string[] | undefined,
  ): Promise<{ status: number; body: string; headers?: Record<string, string> }> {
    if (method === 'PUT' && path === '/latest/api/token') {
      const issued = randomBytes(24).toString('base64');
      this.tokens.add(issued);
      return { status: 200, body: issued, headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } };
    }
    if (typeof token !== 'string' || !this.tokens.has(token)) return { status: 401, body: '' };
    const roleName = this.identity.roleArn.split('/').pop()!;
    const base = '/latest/meta-data/iam/security-credentials/';
    if (path === base) return { status: 200, body: roleName };
    if (path !== base + roleName) return { status: 404, body: '' };
    const expiration = this.cached?.expiration?.getTime() ?? 0;
    if (Date.now() > expiration - refreshBeforeMs) this.cached = await this.credentials(this.identity);
    const c = this.cached!;
    return {
      status: 200,
      body: JSON.stringify({
        Code: 'Success',
        LastUpdated: new Date().toISOString(),
        Type: 'AWS-HMAC',
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.sessionToken,
        Expiration: c.expiration?.toISOString(),
      }),
    };
  }
}
