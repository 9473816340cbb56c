// LAB.md phase 5: the AWS Load Balancer Controller — the OIDC provider, its IRSA role with the
// controller's IAM policy, and the Helm release whose service account assumes that role. Its
// uninstall also deletes whatever the controller left (load balancers, target groups, security
// groups): a controller removed before its finalizers ran leaves them, billing, on AWS.
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { LbControllerResult, NetworkOutputs } from '../../lab/report.js';
import type { LabSpec } from '../../lab/spec.js';
import { labTag } from '../cloudformation.js';
import { clusterName } from '../eks.js';
import { deleteLabLoadBalancers } from '../elbv2.js';
import { helmUninstall, helmUpgradeInstall } from '../helm.js';
import { ensureIrsaRole, ensureOidcProvider } from '../iam.js';
import { kubeChanges } from '../kube-watch.js';
import { waitFor } from '../poll.js';
import { controllerSecurityGroups, deleteSecurityGroups } from '../securitygroups.js';
import type { Target } from '../target.js';

export const lbcRelease = { name: 'aws-load-balancer-controller', namespace: 'kube-system' };
/**
 * The eks-charts chart version installed, pinned: controller v2.17.1, whose IAM policy the lab
 * uses. The sandbox's stand-in chart carries the same version.
 */
export const lbcChartVersion = '1.17.1';

/** The controller's IAM: the cluster's OIDC provider and the IRSA role with the controller's policy. */
export interface LbControllerIam {
  oidcProviderArn: string;
  roleArn: string;
  policyArn: string;
}

/** Needs only the cluster (its OIDC issuer), so the lab makes it while the nodes come up. */
export async function createLbControllerIam(target: Target, labId: string): Promise<LbControllerIam> {
  const oidc = await ensureOidcProvider(target, labId);
  const { roleArn, policyArn } = await ensureIrsaRole(target, labId, 'lbController', oidc);
  return { oidcProviderArn: oidc.arn, roleArn, policyArn };
}

/**
 * The Helm release, once the controller's IAM exists (made here when not given), then every
 * replica Available: the density test counts the controller's pods as system pods.
 */
export async function installLbController(
  target: Target,
  kc: KubeConfig,
  spec: LabSpec,
  network: NetworkOutputs,
  iam?: LbControllerIam,
): Promise<LbControllerResult> {
  const { oidcProviderArn, roleArn, policyArn } = iam ?? (await createLbControllerIam(target, spec.labId));
  const release = await helmUpgradeInstall(target, kc, {
    ...lbcRelease,
    chart: target.lbControllerChart ?? spec.lbControllerChart,
    version: lbcChartVersion,
    // Its Deployment's readiness is watched for below.
    wait: false,
    values: {
      clusterName: clusterName(spec.labId),
      // On everything the controller makes, so the leak check and the sweeper find it by the lab's id.
      defaultTags: { [labTag]: spec.labId },
      region: target.region,
      vpcId: network.vpcId,
      serviceAccount: { create: true, name: lbcRelease.name, annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
    },
    timeoutSeconds: 600,
  });
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(
    'every controller replica Available',
    async () => {
      const d = await apps.readNamespacedDeployment({ name: lbcRelease.name, namespace: lbcRelease.namespace });
      const replicas = d.spec?.replicas ?? 1;
      // As helm's --wait: the Deployment controller has seen this revision and rolled it out.
      const rolledOut =
        (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        (d.status?.updatedReplicas ?? 0) >= replicas;
      return rolledOut && (d.status?.availableReplicas ?? 0) >= replicas ? true : undefined;
    },
    {
      timeoutMs: 10 * 60_000,
      intervalMs: 2000,
      changes: kubeChanges(kc, `/apis/apps/v1/namespaces/${lbcRelease.namespace}/deployments`),
    },
  );
  return {
    policyArn,
    roleArn,
    oidcProviderArn,
    chart: release.chart,
    release: `${lbcRelease.name} r${release.revision}`,
    available: true,
  };
}

export async function uninstallLbController(target: Target, kc: KubeConfig): Promise<void> {
  await helmUninstall(target, kc, lbcRelease.name, lbcRelease.namespace);
}

/**
 * After the controller is gone (or its cluster is): the load balancers, target groups and security
 * groups (the shared backend `k8s-traffic-<cluster>-…` too) it left, tagged with the lab's id or
 * `elbv2.k8s.aws/cluster=<cluster>`. Returns what it deleted.
 */
export async function deleteLbControllerLeftovers(target: Target, labId: string): Promise<string[]> {
  const cluster = clusterName(labId);
  const loadBalancers = await deleteLabLoadBalancers(target, labId, cluster);
  const groups = await deleteSecurityGroups(target, await controllerSecurityGroups(target, cluster));
  return [...loadBalancers, ...groups];
}
