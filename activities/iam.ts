// LAB.md phase 5 (IAM part): the cluster's OIDC provider and IRSA roles — a role that a given
// Kubernetes service account assumes through sts:AssumeRoleWithWebIdentity, with its policy.
// Names carry the lab id, so a retry finds its own role and two labs never collide. Policies are
// looked up by exact ARN (account from STS) and owned only when they carry the lab's tag; the
// policy documents are upstream's, unchanged (sources in templates/README.md).
import { readFileSync } from 'node:fs';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  paginateListAttachedRolePolicies,
  TagPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { labTag } from './cloudformation.js';
import { clusterName } from './eks.js';
import { classifying, orMissing } from './errors.js';
import { awsClientOptions, type Target } from './target.js';

const policyDocument = (file: string): string => readFileSync(new URL(`./templates/${file}`, import.meta.url), 'utf8');

/** The IRSA roles the lab makes, by purpose: policy file and the service account that assumes the role. */
export const irsaRoles = {
  lbController: {
    policy: 'lbc-iam-policy.json',
    policyName: 'AWSLoadBalancerControllerIAMPolicy',
    serviceAccount: 'kube-system:aws-load-balancer-controller',
  },
  externalDns: {
    policy: 'external-dns-iam-policy.json',
    policyName: 'ExternalDNSPolicy',
    serviceAccount: 'kube-system:external-dns',
  },
} as const;
export type IrsaPurpose = keyof typeof irsaRoles;

const roleName = (labId: string, purpose: IrsaPurpose): string => `${labId}-${purpose}`;
const policyName = (labId: string, purpose: IrsaPurpose): string => `${labId}-${irsaRoles[purpose].policyName}`;
const tags = (labId: string) => [{ Key: labTag, Value: labId }];

/** The cluster's OIDC issuer registered as an IAM identity provider (what `eksctl utils associate-iam-oidc-provider` does). */
export async function ensureOidcProvider(target: Target, labId: string): Promise<{ arn: string; issuerHost: string }> {
  const eks = new EKSClient(awsClientOptions(target));
  const iam = new IAMClient(awsClientOptions(target));
  const { cluster } = await classifying('describe cluster', () =>
    eks.send(new DescribeClusterCommand({ name: clusterName(labId) })),
  );
  const issuer = cluster?.identity?.oidc?.issuer;
  if (!issuer) throw new Error(`cluster ${clusterName(labId)} has no OIDC issuer`);
  const issuerHost = issuer.replace(/^https:\/\//, '');
  const { OpenIDConnectProviderList = [] } = await classifying('list OIDC providers', () =>
    iam.send(new ListOpenIDConnectProvidersCommand({})),
  );
  const existing = OpenIDConnectProviderList.find((p) => p.Arn?.endsWith(`/${issuerHost}`));
  if (existing) return { arn: existing.Arn!, issuerHost };
  const created = await classifying('create OIDC provider', () =>
    iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: issuer,
        ClientIDList: ['sts.amazonaws.com'],
        // EKS's issuers chain to Amazon's root CA; IAM no longer checks this thumbprint for them.
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
        Tags: tags(labId),
      }),
    ),
  );
  return { arn: created.OpenIDConnectProviderArn!, issuerHost };
}

/** The IRSA role for one purpose, with its policy attached; returns the role's ARN. */
export async function ensureIrsaRole(
  target: Target,
  labId: string,
  purpose: IrsaPurpose,
  oidc: { arn: string; issuerHost: string },
): Promise<{ roleArn: string; policyArn: string }> {
  const iam = new IAMClient(awsClientOptions(target));
  const policyArn = await ensureLabPolicy(target, iam, labId, purpose);
  const name = roleName(labId, purpose);
  let role = (await classifying('get role', () => orMissing(iam.send(new GetRoleCommand({ RoleName: name })))))?.Role;
  if (!role) {
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: oidc.arn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${oidc.issuerHost}:sub`]: `system:serviceaccount:${irsaRoles[purpose].serviceAccount}`,
              [`${oidc.issuerHost}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    };
    role = (
      await classifying('create role', () =>
        iam.send(
          new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust), Tags: tags(labId) }),
        ),
      )
    ).Role!;
  }
  await classifying('attach policy', () =>
    iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn })),
  );
  return { roleArn: role.Arn!, policyArn };
}

/** `arn:<partition>:iam::<account>:policy/`: where the caller's account keeps its policies. */
async function policyArnPrefix(target: Target): Promise<string> {
  const sts = new STSClient(awsClientOptions(target));
  const { Arn } = await classifying('get caller identity', () => sts.send(new GetCallerIdentityCommand({})));
  const [, partition, , , account] = (Arn ?? '').split(':');
  if (!partition || !account) throw new Error(`STS returned no usable caller ARN: ${Arn}`);
  return `arn:${partition}:iam::${account}:policy/`;
}

const carriesLabTag = (tags: { Key?: string; Value?: string }[] | undefined, labId: string): boolean =>
  !!tags?.some((t) => t.Key === labTag && t.Value === labId);

/** The lab's policies that exist and carry its tag (a same-named policy without it is not the lab's to delete). */
async function labPolicies(target: Target, iam: IAMClient, labId: string): Promise<string[]> {
  const out: string[] = [];
  const prefix = await policyArnPrefix(target);
  for (const purpose of Object.keys(irsaRoles) as IrsaPurpose[]) {
    const arn = prefix + policyName(labId, purpose);
    const found = await classifying('get policy', () => orMissing(iam.send(new GetPolicyCommand({ PolicyArn: arn }))));
    if (carriesLabTag(found?.Policy?.Tags, labId)) out.push(arn);
  }
  return out;
}

/** The lab's policy for a purpose: found by its exact ARN on a retry (and tagged if an earlier tag was lost), else created. */
async function ensureLabPolicy(target: Target, iam: IAMClient, labId: string, purpose: IrsaPurpose): Promise<string> {
  const arn = (await policyArnPrefix(target)) + policyName(labId, purpose);
  const found = await classifying('get policy', () => orMissing(iam.send(new GetPolicyCommand({ PolicyArn: arn }))));
  if (found?.Policy) {
    if (!carriesLabTag(found.Policy.Tags, labId))
      await classifying('tag policy', () => iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: tags(labId) })));
    return arn;
  }
  const created = await classifying('create policy', () =>
    iam.send(
      new CreatePolicyCommand({
        PolicyName: policyName(labId, purpose),
        PolicyDocument: policyDocument(irsaRoles[purpose].policy),
        Tags: tags(labId),
      }),
    ),
  );
  return created.Policy!.Arn!;
}

/** Deletes the lab's IRSA roles, their policies and its OIDC provider; harmless when already gone. */
export async function deleteIam(target: Target, labId: string): Promise<void> {
  const iam = new IAMClient(awsClientOptions(target));
  for (const purpose of Object.keys(irsaRoles) as IrsaPurpose[]) {
    const name = roleName(labId, purpose);
    for (const arn of await attachedPolicies(iam, name)) {
      await classifying('detach policy', () =>
        orMissing(iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn }))),
      );
    }
    await classifying('delete role', () => orMissing(iam.send(new DeleteRoleCommand({ RoleName: name }))));
  }
  for (const arn of await labPolicies(target, iam, labId)) {
    await classifying('delete policy', () => orMissing(iam.send(new DeletePolicyCommand({ PolicyArn: arn }))));
  }
  for (const arn of await labOidcProviders(target, labId)) {
    await classifying('delete OIDC provider', () =>
      orMissing(iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }))),
    );
  }
}

/** What IAM still holds for the lab: roles, policies and OIDC providers. */
export async function labIamResources(target: Target, labId: string): Promise<{ kind: string; id: string }[]> {
  const iam = new IAMClient(awsClientOptions(target));
  const out: { kind: string; id: string }[] = [];
  for (const purpose of Object.keys(irsaRoles) as IrsaPurpose[]) {
    const role = await classifying('get role', () =>
      orMissing(iam.send(new GetRoleCommand({ RoleName: roleName(labId, purpose) }))),
    );
    if (role?.Role) out.push({ kind: 'iam-role', id: role.Role.RoleName! });
  }
  for (const arn of await labPolicies(target, iam, labId)) out.push({ kind: 'iam-policy', id: arn });
  for (const arn of await labOidcProviders(target, labId)) out.push({ kind: 'iam-oidc-provider', id: arn });
  return out;
}

/** Every policy attached to the role, over all pages; none when the role is gone. */
async function attachedPolicies(iam: IAMClient, roleName: string): Promise<string[]> {
  const out: string[] = [];
  await classifying('list role policies', () =>
    orMissing(
      (async () => {
        for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName }))
          out.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn!));
      })(),
    ),
  );
  return out;
}

async function labOidcProviders(target: Target, labId: string): Promise<string[]> {
  const iam = new IAMClient(awsClientOptions(target));
  const { OpenIDConnectProviderList = [] } = await classifying('list OIDC providers', () =>
    iam.send(new ListOpenIDConnectProvidersCommand({})),
  );
  const out: string[] = [];
  for (const p of OpenIDConnectProviderList) {
    const t = await classifying('list OIDC provider tags', () =>
      orMissing(iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: p.Arn }))),
    );
    if (carriesLabTag(t?.Tags, labId)) out.push(p.Arn!);
  }
  return out;
}
