// What a lab will create, in order, and how it is undone: shown before AWS spend, and by
// `--target aws --plan` without any call that costs money.
import { labNames } from './names.js';
import type { ResolvedKubernetes } from './report.js';
import type { LabSpec } from './spec.js';

/** `kubernetes`: the versions EKS resolved for the spec, when the client could ask EKS. */
export function labPlan(spec: LabSpec, kubernetes?: ResolvedKubernetes): string[] {
  const id = spec.labId;
  const version = kubernetes
    ? `Kubernetes ${kubernetes.version}, ${kubernetes.status === 'STANDARD_SUPPORT' ? `standard support until ${kubernetes.endOfStandardSupport}` : 'extended support: 6× the cluster-hour price'}, upgrade policy ${kubernetes.supportType}`
    : `Kubernetes ${spec.kubernetesVersion ?? 'the newest in standard support'}, resolved with EKS at validation`;
  const addons = kubernetes
    ? kubernetes.addons.map((a) => `${a.name} ${a.version}`).join(', ')
    : 'vpc-cni, coredns, kube-proxy (EKS default versions)';
  const steps = [
    `CloudFormation stack ${id}-network: VPC ${spec.vpcCidr}, 3 public subnets ${spec.subnetCidrs.join(', ')}, internet gateway, route table, security group, IAM roles ${id}-cluster and ${id}-node`,
    `EKS cluster ${id} (${version}) in ${spec.region}`,
    `EKS managed node group ${id}-ng: ${spec.nodes} × ${spec.instanceType}`,
    `EKS add-ons ${addons}`,
  ];
  if (spec.phases.includes('density'))
    steps.push(`nginx Deployment scaled to ${spec.replicas} (deleted after the test)`);
  if (spec.phases.includes('lbController')) {
    steps.push(
      `IAM OIDC provider for the cluster, policy ${id}-AWSLoadBalancerControllerIAMPolicy, role ${id}-lbController`,
    );
    steps.push(`Helm release aws-load-balancer-controller from ${spec.lbControllerChart}`);
  }
  if (spec.phases.includes('nlb')) steps.push('1 internet-facing Network Load Balancer (deleted after the test)');
  if (spec.phases.includes('ingress'))
    steps.push('1 internet-facing Application Load Balancer (deleted after the test)');
  if (spec.phases.includes('externalDns')) {
    steps.push(
      `IAM role ${id}-externalDns, ExternalDNS, record ${labNames(id).dnsRecord(spec.domain)} in zone ${spec.domain}${spec.createZone ? ' (zone created)' : ''}, 1 NLB`,
    );
  }
  if (spec.phases.includes('iperf3')) steps.push('2 iperf3 pods');
  steps.push(
    spec.keep
      ? `kept up until the TTL (${spec.ttl}) or a teardown signal, then torn down`
      : `torn down at the end, or when the TTL (${spec.ttl}) fires`,
  );
  return steps;
}

/** The lab in one line, for the Web UI's workflow list and page (the start's static summary). */
export function labSummary(spec: LabSpec): string {
  const version = spec.kubernetesVersion ? `Kubernetes ${spec.kubernetesVersion}` : 'newest standard Kubernetes';
  return `EKS network lab on ${spec.target}, ${spec.region}: ${spec.nodes} × ${spec.instanceType}, ${version}; phases ${spec.phases.join(', ')}`;
}

/** What the lab will create, as the Web UI's markdown (the start's static details). */
export const labPlanMarkdown = (spec: LabSpec, kubernetes?: ResolvedKubernetes): string =>
  labPlan(spec, kubernetes)
    .map((step, i) => `${i + 1}. ${step}`)
    .join('\n');
