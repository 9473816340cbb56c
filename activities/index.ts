// The lab's activities, one per step of LAB.md and one per undo, built over the worker's target
// (endpoints and credentials). The workflow imports only the type of this object.
import { ApplicationFailure } from '@temporalio/common';
import type { KubeConfig } from '@kubernetes/client-node';
import { workflowUrl, type LabReport, type NetworkOutputs, type ResolvedKubernetes } from '../lab/report.js';
import { validateSpec, type LabSpec, type LabSpecInput, type SpecProblem } from '../lab/spec.js';
import { taskQueueFor } from '../lab/targets.js';
import { createNetworkStack, deleteNetworkStack } from './cloudformation.js';
import { availableZones, instanceLimits, regionProblem, type InstanceLimits } from './ec2.js';
import {
  clusterName,
  createAddons,
  createCluster,
  createNodegroup,
  deleteCluster,
  deleteNodegroups,
  describeAddons,
  resolveKubernetes,
  waitForAddons,
} from './eks.js';
import { deleteIam, ensureIrsaRole, ensureOidcProvider } from './iam.js';
import { deleteIperf3, runIperf3 } from './iperf3.js';
import { isNotFound } from './errors.js';
import { ClusterWithoutEndpoint, clusterKubeConfig, labNamespace } from './kube.js';
import { findLeftovers } from './leaks.js';
import { recordLabEnded, recordLabStarted } from './metrics.js';
import { deleteDensityWorkload, podDensity } from './phases/density.js';
import { deleteDnsTest, dnsTest, zoneProblem } from './phases/externaldns.js';
import {
  createLbControllerIam,
  deleteLbControllerLeftovers,
  installLbController,
  uninstallLbController,
  type LbControllerIam,
} from './phases/lbcontroller.js';
import { deleteIngressTest, deleteNlbTest, ingressTest, nlbTest } from './phases/loadbalancers.js';
import { verifyNetworking } from './phases/networking.js';
import { waitForNodes } from './phases/nodes.js';
import { activityContext, heartbeat, heartbeating } from './poll.js';
import { reportDirProblem, writeReport } from './report.js';
import { createSweepActivities } from './sweep.js';
import type { Target } from './target.js';

export interface ValidatedLab {
  /** The spec, with `kubernetesVersion` set to the resolved version. */
  spec: LabSpec;
  zones: string[];
  limits: InstanceLimits;
  kubernetes: ResolvedKubernetes;
}

function invalid(problems: SpecProblem[]): ApplicationFailure {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return ApplicationFailure.create({
    message: `invalid lab spec: ${list}`,
    type: 'InvalidSpec',
    nonRetryable: true,
    details: [problems],
  });
}

export function createActivities(baseTarget: Target) {
  const targetFor = (spec: LabSpec): Target => ({ ...baseTarget, region: spec.region });
  const sweep = createSweepActivities(baseTarget);
  const kube = (spec: LabSpec): Promise<KubeConfig> => clusterKubeConfig(targetFor(spec), clusterName(spec.labId));
  /** Runs an undo against the cluster, or nothing when the cluster (and so the object) is gone. */
  const ifClusterUp = async (spec: LabSpec, undo: (kc: KubeConfig) => Promise<void>): Promise<void> => {
    let kc: KubeConfig;
    try {
      kc = await kube(spec);
    } catch (err) {
      if (isNotFound(err) || err instanceof ClusterWithoutEndpoint) return;
      throw err;
    }
    await undo(kc);
  };

  return {
    /** Phase 1: the spec and the look-ups it needs; nothing is made before this passes. */
    async validateLab(input: LabSpecInput): Promise<ValidatedLab> {
      recordLabStarted(baseTarget.kind);
      const { spec, problems } = validateSpec(input);
      if (!spec) throw invalid(problems);
      // A lab reaches only workers of its own target (task queue per target); this is the last guard.
      if (spec.target !== baseTarget.kind)
        throw invalid([
          {
            field: 'target',
            message: `this worker acts on ${baseTarget.kind}, not ${spec.target}; ${spec.target} labs run on task queue ${taskQueueFor(spec.target)}`,
          },
        ]);
      const target = targetFor(spec);
      // Every other look-up is asked of the region, so a region the account cannot use goes first.
      const unusableRegion = await regionProblem(target, spec.region);
      if (unusableRegion) throw invalid([{ field: 'region', message: unusableRegion }]);
      const found: SpecProblem[] = [];
      const zones = (await availableZones(target, spec.instanceType)).slice(0, 3);
      if (zones.length < 3)
        found.push({
          field: 'region',
          message: `${spec.region} offers ${spec.instanceType} in ${zones.length} availability zones; the lab needs 3`,
        });
      const limits = await instanceLimits(target, spec.instanceType);
      if (!limits)
        found.push({ field: 'instanceType', message: `${spec.instanceType} is not offered in ${spec.region}` });
      const kubernetes = await resolveKubernetes(target, spec);
      if ('problem' in kubernetes) found.push(kubernetes.problem);
      const domainProblem = await zoneProblem(target, spec);
      if (domainProblem) found.push(domainProblem);
      const reportProblem = spec.reportDir && (await reportDirProblem(spec.reportDir));
      if (reportProblem) found.push({ field: 'reportDir', message: reportProblem });
      if (found.length > 0 || !limits || 'problem' in kubernetes) throw invalid(found);
      return {
        spec: { ...spec, kubernetesVersion: kubernetes.resolved.version },
        zones,
        limits,
        kubernetes: kubernetes.resolved,
      };
    },

    createNetworkStack: (spec: LabSpec, zones: string[]) => createNetworkStack(targetFor(spec), spec, zones),
    deleteNetworkStack: (spec: LabSpec) => deleteNetworkStack(targetFor(spec), spec.labId),
    createCluster: (spec: LabSpec, network: NetworkOutputs) => createCluster(targetFor(spec), spec, network),
    deleteCluster: (spec: LabSpec) => deleteCluster(targetFor(spec), spec.labId),
    createNodegroup: (spec: LabSpec, network: NetworkOutputs) => createNodegroup(targetFor(spec), spec, network),
    deleteNodegroups: (spec: LabSpec) => deleteNodegroups(targetFor(spec), spec.labId),
    /** `beforeNodes`: made beside the node group, so an add-on that waits for nodes is returned as it is. */
    createAddons: (spec: LabSpec, versions?: ResolvedKubernetes['addons'], beforeNodes?: boolean) =>
      createAddons(targetFor(spec), spec, versions, beforeNodes),
    waitForAddons: (spec: LabSpec) => waitForAddons(targetFor(spec), spec.labId),

    waitForNodes: async (spec: LabSpec) => waitForNodes(await kube(spec), spec),
    verifyNetworking: async (spec: LabSpec, network: NetworkOutputs) =>
      verifyNetworking(targetFor(spec), await kube(spec), network, await describeAddons(targetFor(spec), spec.labId)),
    podDensity: async (spec: LabSpec, limits: InstanceLimits) => podDensity(await kube(spec), spec, limits),
    deleteDensityWorkload: (spec: LabSpec) => ifClusterUp(spec, (kc) => deleteDensityWorkload(kc, spec.labId)),

    createLbControllerIam: (spec: LabSpec) => createLbControllerIam(targetFor(spec), spec.labId),
    installLbController: async (spec: LabSpec, network: NetworkOutputs, iam?: LbControllerIam) =>
      installLbController(targetFor(spec), await kube(spec), spec, network, iam),
    uninstallLbController: async (spec: LabSpec) => {
      await ifClusterUp(spec, (kc) => uninstallLbController(targetFor(spec), kc));
      await deleteLbControllerLeftovers(targetFor(spec), spec.labId);
    },
    deleteIam: (spec: LabSpec) =>
      heartbeating(`delete IAM roles, policies and OIDC provider of ${spec.labId}`, () =>
        deleteIam(targetFor(spec), spec.labId),
      ),

    nlbTest: async (spec: LabSpec) => nlbTest(targetFor(spec), await kube(spec), spec.labId),
    deleteNlbTest: (spec: LabSpec) => ifClusterUp(spec, (kc) => deleteNlbTest(targetFor(spec), kc, spec.labId)),
    ingressTest: async (spec: LabSpec) => ingressTest(targetFor(spec), await kube(spec), spec.labId),
    deleteIngressTest: (spec: LabSpec) => ifClusterUp(spec, (kc) => deleteIngressTest(targetFor(spec), kc, spec.labId)),

    // Both spend Route53 requests, which queue behind other labs' and back off when throttled.
    dnsTest: (spec: LabSpec) =>
      heartbeating(`ExternalDNS test of ${spec.labId}`, async () => {
        const target = targetFor(spec);
        const { roleArn } = await ensureIrsaRole(
          target,
          spec.labId,
          'externalDns',
          await ensureOidcProvider(target, spec.labId),
        );
        return dnsTest(target, await kube(spec), spec, roleArn);
      }),
    deleteDnsTest: (spec: LabSpec) =>
      heartbeating(`delete the DNS test of ${spec.labId}`, async () => {
        let cleaned = false;
        await ifClusterUp(spec, async (kc) => {
          await deleteDnsTest(targetFor(spec), kc, spec);
          cleaned = true;
        });
        if (!cleaned) await deleteDnsTest(targetFor(spec), undefined, spec);
      }),

    iperf3Test: async (spec: LabSpec) =>
      runIperf3(await kube(spec), {
        namespace: labNamespace,
        labId: spec.labId,
        ...spec.iperf3,
        heartbeat: (state) => heartbeat({ waitingFor: 'iperf3 tests', state }),
      }),
    deleteIperf3Test: (spec: LabSpec) => ifClusterUp(spec, (kc) => deleteIperf3(kc, labNamespace, spec.labId)),

    async writeReport(report: LabReport, dir?: string) {
      const lab = activityContext()?.info;
      const linked = lab?.workflowExecution
        ? {
            ...report,
            workflowUrl: workflowUrl(
              baseTarget.webUi,
              lab.workflowNamespace ?? lab.activityNamespace,
              lab.workflowExecution.workflowId,
              lab.workflowExecution.runId,
            ),
          }
        : report;
      const written = await writeReport(linked, dir);
      recordLabEnded(report);
      return written;
    },
    findLeftovers: (spec: LabSpec) =>
      heartbeating(`leak check of ${spec.labId}`, () =>
        findLeftovers(targetFor(spec), spec.labId, spec.phases.includes('externalDns') ? spec.domain : undefined),
      ),

    ...sweep,
    // Listings and deletes across the whole account take long on AWS: they heartbeat meanwhile.
    findLabIds: (region?: string, domain?: string) =>
      heartbeating('list tagged resources', () => sweep.findLabIds(region, domain)),
    labResources: (labId: string, domain?: string, region?: string) =>
      heartbeating(`list what ${labId} left`, () => sweep.labResources(labId, domain, region)),
    sweepLab: (labId: string, domain?: string, region?: string) =>
      heartbeating(`sweep ${labId}`, () => sweep.sweepLab(labId, domain, region)),
  };
}

export type LabActivities = ReturnType<typeof createActivities>;
