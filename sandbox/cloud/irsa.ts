// IAM roles for service accounts (IRSA) as EKS does them, for what the sandbox runs in a pod's
// stead: a service account annotated `eks.amazonaws.com/role-arn` gets a projected token for the
// audience `sts.amazonaws.com` (the TokenRequest API), which is exchanged with STS
// AssumeRoleWithWebIdentity (on the gateway, which checks it) for temporary credentials.
// - irsaClientOptions(): AWS SDK client options with those credentials, for emulated controllers.
// - ProjectedToken + podIdentityEnv(): the token file and the environment that EKS's pod identity
//   webhook gives a pod, for real programs (ExternalDNS).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { endpoints, sandboxRegion } from '../config.js';

export const roleArnAnnotation = 'eks.amazonaws.com/role-arn';
export const stsAudience = 'sts.amazonaws.com';
/** What the pod identity webhook asks for: a day (the kubelet refreshes at 80 %). */
const tokenSeconds = 86_400;

/** The role the service account is annotated with, or undefined (no IRSA). */
export async function serviceAccountRoleArn(
  kc: KubeConfig,
  namespace: string,
  serviceAccount: string,
): Promise<string | undefined> {
  const sa = await kc.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name: serviceAccount, namespace });
  return sa.metadata?.annotations?.[roleArnAnnotation];
}

/** A service account token for STS, from the cluster's TokenRequest API. */
export async function serviceAccountToken(
  kc: KubeConfig,
  namespace: string,
  serviceAccount: string,
): Promise<{ token: string; expires: number }> {
  const request = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [stsAudience], expirationSeconds: tokenSeconds } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${serviceAccount}`);
  return { token, expires: new Date(request.status!.expirationTimestamp).getTime() };
}

/** Exchanges a web identity token for the role's temporary credentials (an unsigned STS call, as on AWS). */
export async function assumeRoleWithWebIdentity(
  roleArn: string,
  token: string,
  sessionName: string,
): Promise<AwsCredentialIdentity> {
  const sts = new STSClient({ region: sandboxRegion, endpoint: endpoints.gateway, maxAttempts: 3 });
  const { Credentials } = await sts.send(
    new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: sessionName, WebIdentityToken: token }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
    throw new Error(`STS gave no credentials for ${roleArn}`);
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
    expiration: Credentials.Expiration,
  };
}

/**
 * AWS SDK v3 client options for calls made as the service account's IRSA role: the gateway as
 * endpoint, credentials from a fresh token each time the SDK refreshes them (it does so five
 * minutes before `expiration`). Fails when the service account has no role annotation.
 */
export async function irsaClientOptions(
  kc: KubeConfig,
  namespace: string,
  serviceAccount: string,
): Promise<{ region: string; endpoint: string; credentials: AwsCredentialIdentityProvider; maxAttempts: number }> {
  const roleArn = await serviceAccountRoleArn(kc, namespace, serviceAccount);
  if (!roleArn)
    throw new Error(`service account ${namespace}/${serviceAccount} has no ${roleArnAnnotation} annotation`);
  const credentials: AwsCredentialIdentityProvider = async () => {
    const { token } = await serviceAccountToken(kc, namespace, serviceAccount);
    return assumeRoleWithWebIdentity(roleArn, token, `${serviceAccount}-${Date.now()}`);
  };
  return { region: sandboxRegion, endpoint: endpoints.gateway, credentials, maxAttempts: 3 };
}

/** The projected token file of a pod: written now, rewritten once 80 % of its life has passed, as the kubelet does. */
export class ProjectedToken {
  private refreshAt = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly serviceAccount: string,
    readonly path: string,
  ) {}

  async refresh(now = Date.now()): Promise<void> {
    if (now < this.refreshAt) return;
    const { token, expires } = await serviceAccountToken(this.kc, this.namespace, this.serviceAccount);
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, token, { mode: 0o600 });
    this.refreshAt = now + 0.8 * (expires - now);
  }
}

/** What EKS's pod identity webhook adds to a container of a pod whose service account has a role, plus the sandbox's endpoints. */
export function podIdentityEnv(roleArn: string, tokenFile: string): Record<string, string> {
  return {
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    AWS_ENDPOINT_URL: endpoints.gateway,
    AWS_ENDPOINT_URL_STS: endpoints.gateway,
    AWS_ENDPOINT_URL_ROUTE_53: endpoints.gateway,
  };
}
