// Each activity a lab calls carries a summary naming what it acts on (`create stack
// lab-1-network`), so the Web UI's event history reads like the lab; the summaries of the calls
// in flight are what the lab waits on now, shown in its current details.
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { labNames } from '../lab/names.js';
import type { LabSpec } from '../lab/spec.js';

/** The activities a lab calls once its spec is valid (the sweeper's are its own workflow's). */
export type LabStep = Exclude<
  keyof LabActivities,
  'validateLab' | 'findLabIds' | 'labResources' | 'runningLabIds' | 'sweepLab'
>;
type LabSteps = Pick<LabActivities, LabStep>;

export const reportSummary = (labId: string): string => `write the report of ${labId}`;

export const activitySummaries: Record<LabStep, (spec: LabSpec) => string> = {
  createNetworkStack: (s) => `create stack ${labNames(s.labId).networkStack} (VPC ${s.vpcCidr})`,
  deleteNetworkStack: (s) => `delete stack ${labNames(s.labId).networkStack}`,
  createCluster: (s) => `create EKS cluster ${labNames(s.labId).cluster}`,
  deleteCluster: (s) => `delete EKS cluster ${labNames(s.labId).cluster}`,
  createNodegroup: (s) => `create node group ${labNames(s.labId).nodegroup}: ${s.nodes} × ${s.instanceType}`,
  deleteNodegroups: (s) => `delete the node groups of ${labNames(s.labId).cluster}`,
  createAddons: (s) => `create add-ons vpc-cni, coredns, kube-proxy on ${labNames(s.labId).cluster}`,
  waitForAddons: () => 'wait for the add-ons ACTIVE',
  waitForNodes: (s) => `wait for ${s.nodes} nodes Ready`,
  verifyNetworking: () => 'map every pod to its node and ENI (VPC CNI)',
  podDensity: (s) => `scale nginx to ${s.replicas} pods and count Running and Pending`,
  deleteDensityWorkload: () => 'delete the density test',
  createLbControllerIam: (s) =>
    `create the OIDC provider, policy and role ${labNames(s.labId).irsaRole('lbController')}`,
  installLbController: () => 'install Helm release aws-load-balancer-controller and wait until it runs',
  uninstallLbController: () => 'uninstall the load balancer controller and what it made',
  deleteIam: (s) => `delete the IAM roles, policies and OIDC provider of ${s.labId}`,
  nlbTest: () => 'NLB test: a Service of type LoadBalancer, 50 requests',
  deleteNlbTest: () => 'delete the NLB test',
  ingressTest: () => 'ALB test: an Ingress, one request',
  deleteIngressTest: () => 'delete the ingress test',
  dnsTest: (s) => `ExternalDNS test: ${labNames(s.labId).dnsRecord(s.domain)} in Route53 and resolving`,
  deleteDnsTest: (s) => `delete the DNS test and ${labNames(s.labId).dnsRecord(s.domain)}`,
  iperf3Test: () => 'iperf3 between two pods on two nodes',
  deleteIperf3Test: () => 'delete the iperf3 pods',
  writeReport: (s) => reportSummary(s.labId),
  findLeftovers: (s) => `find anything tagged ${s.labId} left behind`,
};

/**
 * `proxy`'s lab steps, each called with its summary for `spec`. `running` holds the summaries of
 * the calls in flight, in the order they started; `changed` is called when it changes.
 */
export function summarised(
  proxy: ActivityInterfaceFor<LabActivities>,
  spec: LabSpec,
  running: string[],
  changed: () => void,
): LabSteps {
  return new Proxy({} as LabSteps, {
    get:
      (_, name: LabStep) =>
      async (...args: unknown[]): Promise<unknown> => {
        const summary = activitySummaries[name](spec);
        running.push(summary);
        changed();
        try {
          return await proxy[name].executeWithOptions({ summary }, args as never);
        } finally {
          running.splice(running.indexOf(summary), 1);
          changed();
        }
      },
  });
}
