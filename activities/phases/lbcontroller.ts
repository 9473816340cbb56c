// LAB.md phase 5: the AWS Load Balancer Controller — the OIDC provider, its IRSA role with the
// controller's IAM policy, and the Helm release whose service account assumes that role.
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { LbControllerResult, NetworkOutputs } from '../../lab/report.js';
import type { LabSpec } from '../../lab/spec.js';
import { clusterName } from '../eks.js';
import { helmUninstall, helmUpgradeInstall } from '../helm.js';
import { ensureIrsaRole, ensureOidcProvider } from '../iam.js';
import { waitFor } from '../poll.js';
import type { Target } from '../target.js';

export const lbcRelease = { name: 'aws-load-balancer-controller', namespace: 'kube-system' };

export async function installLbController(
  target: Target,
  kc: KubeConfig,
  spec: LabSpec,
  network: NetworkOutputs,
): Promise<LbControllerResult> {
  const oidc = await ensureOidcProvider(target, spec.labId);
  const { roleArn, policyArn } = await ensureIrsaRole(target, spec.labId, 'lbController', oidc);
  const release = await helmUpgradeInstall(target, kc, {
    ...lbcRelease,
    chart: spec.lbControllerChart,
    values: {
      clusterName: clusterName(spec.labId),
      region: target.region,
      vpcId: network.vpcId,
      serviceAccount: { create: true, name: lbcRelease.name, annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
    },
    timeoutSeconds: 600,
  });
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(
    'the controller Deployment Available',
    async () => {
      const d = await apps.readNamespacedDeployment({ name: lbcRelease.name, namespace: lbcRelease.namespace });
      return (d.status?.availableReplicas ?? 0) > 0 ? true : undefined;
    },
    { timeoutMs: 10 * 60_000, intervalMs: 2000 },
  );
  return {
    policyArn,
    roleArn,
    oidcProviderArn: oidc.arn,
    chart: release.chart,
    release: `${lbcRelease.name} r${release.revision}`,
    available: true,
  };
}

export async function uninstallLbController(target: Target, kc: KubeConfig): Promise<void> {
  await helmUninstall(target, kc, lbcRelease.name, lbcRelease.namespace);
}
