// IAM as AWS applies it to IRSA roles, emulated (moto checks no permission at all):
// - AssumeRoleWithWebIdentity: the service account token must come from the EKS cluster whose
//   OIDC issuer the role trusts (checked by that cluster's API server, as STS checks the issuer's
//   keys), and its `sub` and `aud` must meet the trust policy's conditions; else STS refuses.
// - Every later call signed with the temporary credentials is evaluated against the role's
//   attached and inline policies (with @cloud-copilot/iam-simulate), for the action and resource
//   ARN the call acts on (iam-resources.ts), tag conditions included. A call the policies do not
//   allow is refused with the service's AccessDenied, in AWS's wording.
// - Instance role sessions (node-role.ts: pods without IRSA get their node's role) are checked the
//   same way.
// - Those credentials stop working at their expiry, as AWS's do: a call with them is refused with
//   ExpiredToken. Their session token carries the expiry, as AWS's carry it, so the gateway can
//   forget an expired session (they are pruned whenever a new one is issued) and still refuse it.
// Calls signed with any other credentials (the lab's own, the sandbox's machinery) pass unchecked.
import {
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { AwsCredentialIdentity } from '@smithy/types';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import { callParams, callResources, type CallCheck } from './iam-resources.js';
import type { NodeIdentity } from './node-role.js';
import { awsError, regionOf, type AwsCall } from './protocol.js';

export type PolicyDocument = { Version?: string; Statement: Statement[] | Statement };
type Statement = Record<string, unknown> & { Principal?: { Federated?: string | string[] } };

/** The temporary credentials STS handed out for a web identity, by access key id. */
interface Session {
  roleName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: the principal AWS names in a denial. */
  assumedRoleArn: string;
  account: string;
  expires: number;
}

const stsAudience = 'sts.amazonaws.com';

/** The JWT's claims, unverified: the API server verifies the signature. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A session token that carries its expiry (ms since the epoch), as AWS's session tokens do. */
export const tokenWithExpiry = (token: string, expires: number): string => `${token}~expires~${expires}`;
const expiryOf = (sessionToken: string | undefined): number | undefined => {
  const expires = /~expires~(\d+)$/.exec(sessionToken ?? '')?.[1];
  return expires === undefined ? undefined : Number(expires);
};

/** AWS's answer to credentials past their expiry, in the service's protocol. */
const expiredToken = (service: string): GatewayResponse =>
  service === 'eks'
    ? awsError(service, 'ExpiredTokenException', 'The security token included in the request is expired', 403)
    : awsError(service, 'ExpiredToken', 'The security token included in the request is expired', 403);

const accessKeyOf = (authorization: string | undefined): string | undefined =>
  /Credential=([^/]+)\//.exec(authorization ?? '')?.[1];

/** Whether identity policies allow the action on the resource for the principal, given the request's context. */
export function allows(
  policies: PolicyDocument[],
  action: string,
  resource: string,
  account: string,
  principal: string,
  context: CallCheck['context'],
): boolean {
  // The unsafe variant: iam-data merges ELB Classic and ELBv2 under one prefix and knows no
  // ELBv2 listener resources for AddTags, so the validating variant refuses real requests.
  const result = runUnsafeSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal, resource: { resource, accountId: account }, contextVariables: context },
    },
    {},
  );
  return result === 'Allowed';
}

export class IamEnforcement {
  private readonly sessions = new Map<string, Session>();

  /** `clusterByIssuer` finds the sandbox cluster whose OIDC issuer URL is given, as its admin kubeconfig. */
  constructor(
    private readonly clusterByIssuer: (issuer: string) => KubeConfig | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** AssumeRoleWithWebIdentity: checks the token against the role's trust policy, then lets moto issue the keys. */
  async assumeRoleWithWebIdentity(
    call: AwsCall,
    forward: (c: AwsCall) => Promise<GatewayResponse>,
  ): Promise<GatewayResponse> {
    const params = callParams(call);
    const roleArn = params.get('RoleArn') ?? '';
    const refusal = await this.webIdentityProblem(roleArn, params.get('WebIdentityToken') ?? '');
    if (refusal) {
      this.log(`sts: AssumeRoleWithWebIdentity on ${roleArn} refused: ${refusal.message}`);
      return awsError('sts', refusal.code, refusal.message, refusal.code === 'AccessDenied' ? 403 : 400);
    }
    const answer = await forward(call);
    const xml = answer.body.toString();
    const accessKey = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
    const assumedRoleArn = /<Arn>([^<]+)<\/Arn>/.exec(xml)?.[1];
    const expiration = /<Expiration>([^<]+)<\/Expiration>/.exec(xml)?.[1];
    if (answer.status !== 200 || !accessKey || !assumedRoleArn) return answer;
    const expires = expiration ? Date.parse(expiration) : Date.now() + 3_600_000;
    this.remember(accessKey, {
      roleName: roleArn.split('/').pop()!,
      assumedRoleArn,
      account: assumedRoleArn.split(':')[4]!,
      expires,
    });
    this.log(`sts: ${assumedRoleArn} assumed with a web identity; its calls are checked against the role's policies`);
    const body = xml.replace(
      /<SessionToken>([^<]*)<\/SessionToken>/,
      (_whole, token: string) => `<SessionToken>${tokenWithExpiry(token, expires)}</SessionToken>`,
    );
    return { ...answer, body };
  }

  /**
   * The credentials EC2 gives an instance for the role of its instance profile: a session of the
   * role named after the instance (EC2 assumes it; no caller of the lab's can), checked on each call.
   */
  async instanceRoleCredentials({ instanceId, roleArn }: NodeIdentity): Promise<AwsCredentialIdentity> {
    const { Credentials, AssumedRoleUser } = await moto.sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: instanceId }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !AssumedRoleUser?.Arn)
      throw new Error(`STS gave no credentials for ${roleArn}`);
    const expires = Credentials.Expiration ?? new Date(Date.now() + 3_600_000);
    this.remember(Credentials.AccessKeyId, {
      roleName: roleArn.split('/').pop()!,
      assumedRoleArn: AssumedRoleUser.Arn,
      account: AssumedRoleUser.Arn.split(':')[4]!,
      expires: expires.getTime(),
    });
    this.log(
      `sts: ${AssumedRoleUser.Arn} issued to instance ${instanceId}; its calls are checked against the role's policies`,
    );
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: tokenWithExpiry(Credentials.SessionToken ?? '', expires.getTime()),
      expiration: expires,
    };
  }

  /** Keeps the new session and forgets those past their expiry. */
  private remember(accessKey: string, session: Session): void {
    const now = Date.now();
    for (const [key, s] of this.sessions) if (now >= s.expires) this.sessions.delete(key);
    this.sessions.set(accessKey, session);
  }

  private async webIdentityProblem(
    roleArn: string,
    token: string,
  ): Promise<{ code: string; message: string } | undefined> {
    const claims = jwtClaims(token);
    const iss = typeof claims?.iss === 'string' ? claims.iss : '';
    const sub = typeof claims?.sub === 'string' ? claims.sub : '';
    const aud = ([] as unknown[]).concat(claims?.aud ?? []).map(String);
    if (!claims || !iss) return { code: 'InvalidIdentityToken', message: "Couldn't parse the web identity token" };
    const kc = this.clusterByIssuer(iss);
    if (!kc)
      return {
        code: 'InvalidIdentityToken',
        message: `Couldn't retrieve verification key from your identity provider ${iss}`,
      };
    // The API server checks signature, expiry, audience and that the service account still exists.
    const review = await kc
      .makeApiClient(AuthenticationV1Api)
      .createTokenReview({ body: { spec: { token, audiences: [stsAudience] } } });
    if (!review.status?.authenticated)
      return { code: 'InvalidIdentityToken', message: `The web identity token is not valid: ${review.status?.error}` };

    const role = await moto.iam.send(new GetRoleCommand({ RoleName: roleArn.split('/').pop() })).catch(() => undefined);
    const trust = role?.Role?.AssumeRolePolicyDocument;
    const notAuthorized = { code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' };
    if (!trust) return notAuthorized;
    const issuerHost = iss.replace(/^https:\/\//, '');
    const account = roleArn.split(':')[4] ?? '';
    const provider = `arn:aws:iam::${account}:oidc-provider/${issuerHost}`;
    const registered = await moto.iam
      .send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: provider }))
      .catch(() => undefined);
    if (!registered)
      return { code: 'InvalidIdentityToken', message: `No OpenIDConnect provider found in your account for ${iss}` };
    // `<issuer>:aud` is single-valued in IAM: the audience that is one of the provider's client ids.
    const audience = aud.find((a) => registered.ClientIDList?.includes(a));
    if (!audience) return { code: 'InvalidIdentityToken', message: 'Incorrect token audience' };
    // The trust policy's statements for this provider, evaluated with the token's claims as context.
    const document = JSON.parse(decodeURIComponent(trust)) as PolicyDocument;
    const forProvider = ([] as Statement[])
      .concat(document.Statement)
      .filter((s) => ([] as string[]).concat(s.Principal?.Federated ?? []).includes(provider))
      .map(({ Principal: _principal, ...rest }) => ({ ...rest, Resource: roleArn }));
    const allowed =
      forProvider.length > 0 &&
      allows(
        [{ Version: '2012-10-17', Statement: forProvider }],
        'sts:AssumeRoleWithWebIdentity',
        roleArn,
        account,
        provider,
        { [`${issuerHost}:sub`]: sub, [`${issuerHost}:aud`]: audience },
      );
    return allowed ? undefined : notAuthorized;
  }

  /**
   * The refusal of a call signed with temporary credentials the gateway issued: expired ones, and
   * those whose role's policies do not allow the call; undefined otherwise.
   */
  async check(
    call: AwsCall,
    authorization: string | undefined,
    sessionToken: string | undefined,
  ): Promise<GatewayResponse | undefined> {
    const key = accessKeyOf(authorization);
    const expires = expiryOf(sessionToken);
    if (expires !== undefined && Date.now() >= expires) {
      if (key) this.sessions.delete(key);
      return expiredToken(call.service);
    }
    const session = key ? this.sessions.get(key) : undefined;
    if (!session) return undefined;
    const region = regionOf(authorization) ?? '';
    const checks = await callResources(call, { region, account: session.account });
    if (!checks) {
      this.log(`iam: ${call.service} ${call.operation} has no resource mapping; refused for ${session.assumedRoleArn}`);
      return this.denial(call.service, session, `${call.service}:${call.operation}`, '*');
    }
    // A role (or a policy of it) deleted while its session still calls: nothing allows anything.
    const policies = await this.rolePolicies(session.roleName).catch((err: Error) => {
      if (err.name === 'NoSuchEntityException') return [];
      throw err;
    });
    for (const c of checks) {
      if (!allows(policies, c.action, c.resource, session.account, session.assumedRoleArn, c.context)) {
        this.log(`iam: ${session.assumedRoleArn} denied ${c.action} on ${c.resource}`);
        return this.denial(call.service, session, c.action, c.resource);
      }
    }
    return undefined;
  }

  /** The role's managed (default version) and inline policy documents, read from IAM now. */
  private async rolePolicies(roleName: string): Promise<PolicyDocument[]> {
    const documents: string[] = [];
    for await (const page of paginateListAttachedRolePolicies({ client: moto.iam }, { RoleName: roleName })) {
      for (const attached of page.AttachedPolicies ?? []) {
        const { Policy } = await moto.iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }));
        const { PolicyVersion } = await moto.iam.send(
          new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: Policy?.DefaultVersionId }),
        );
        if (PolicyVersion?.Document) documents.push(PolicyVersion.Document);
      }
    }
    for await (const page of paginateListRolePolicies({ client: moto.iam }, { RoleName: roleName })) {
      for (const PolicyName of page.PolicyNames ?? []) {
        const inline = await moto.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
        if (inline.PolicyDocument) documents.push(inline.PolicyDocument);
      }
    }
    // IAM returns documents URL-encoded.
    return documents.map((d) => JSON.parse(decodeURIComponent(d)) as PolicyDocument);
  }

  /** AWS's denial for the service, in its words (IAM User Guide, "Access denied error messages"). */
  private denial(service: string, session: Session, action: string, resource: string): GatewayResponse {
    const message = `User: ${session.assumedRoleArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
    if (service === 'ec2')
      return awsError(
        service,
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${message}`,
        403,
      );
    return awsError(service, 'AccessDenied', message, 403);
  }
}
