// The lab's result, kube-burner-like: per-item records plus quantiles. Activities fill their
// part; the workflow collects them; the report writer renders them. Plain data only.
import type { PhaseId } from './phases.js';

export type PhaseStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'cancelled';

export interface PhaseRecord {
  phase: PhaseId;
  status: PhaseStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
}

export interface Quantiles {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank quantiles of a sample (kube-burner reports P50/P90/P99, max and average). */
export function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.at(-1)!,
    mean: Math.round(mean),
  };
}

export interface NetworkOutputs {
  stackName: string;
  vpcId: string;
  vpcCidr: string;
  subnetIds: string[];
  securityGroupId: string;
  clusterRoleArn: string;
  nodeRoleArn: string;
}

/** The Kubernetes version EKS runs for the lab, resolved at validation from EKS's version calendar. */
export interface ResolvedKubernetes {
  version: string;
  status: 'STANDARD_SUPPORT' | 'EXTENDED_SUPPORT';
  /** The day the version's standard support ends (YYYY-MM-DD). */
  endOfStandardSupport?: string;
  /** The cluster's upgrade policy: EXTENDED only when the spec allows extended support. */
  supportType: 'STANDARD' | 'EXTENDED';
  /** EKS's default version of each add-on for this Kubernetes version; the lab installs these. */
  addons: { name: string; version: string }[];
}

export interface DeployResult {
  network: NetworkOutputs;
  clusterName: string;
  kubernetesVersion: string;
  nodegroupName: string;
  addons: { name: string; version: string; status: string }[];
}

export interface NodeRecord {
  name: string;
  zone: string;
  instanceId: string;
  instanceType: string;
  internalIp: string;
  ready: boolean;
  allocatablePods: number;
}

export interface EniRecord {
  eniId: string;
  node: string;
  deviceIndex: number;
  primaryIp: string;
  secondaryIps: string[];
}

export interface PodPlacement {
  pod: string;
  namespace: string;
  ip: string;
  node: string;
  hostNetwork: boolean;
  /** The ENI of the node that holds the pod's IP, where the target exposes it. */
  eniId?: string;
  inVpc: boolean;
}

export interface NetworkingResult {
  addons: { name: string; version: string; status: string }[];
  kubeProxyMode: string;
  enis: EniRecord[];
  pods: PodPlacement[];
  podsOutsideVpc: number;
  /** Pods whose IP no ENI of their node holds (the VPC CNI gives every pod one); absent in older reports. */
  podsOnNoEni?: number;
}

export interface DensityResult {
  instanceType: string;
  maxEnis: number;
  ipv4PerEni: number;
  /** MaxENI × (IPv4 per ENI − 1) + 2 */
  expectedMaxPodsPerNode: number;
  allocatablePodsPerNode: Record<string, number>;
  systemPods: number;
  expectedFreeCapacity: number;
  replicas: number;
  running: number;
  pending: number;
  pendingReasons: Record<string, number>;
  runningPerNode: Record<string, number>;
  /** Seconds from creation to scheduled and to ready, per Running pod. */
  scheduledLatencyMs: Quantiles;
  readyLatencyMs: Quantiles;
}

export interface LbControllerResult {
  policyArn: string;
  roleArn: string;
  oidcProviderArn: string;
  chart: string;
  release: string;
  available: boolean;
}

export interface LoadBalancerCheck {
  step: string;
  replicas: number;
  podIps: string[];
  targetIps: string[];
  targetsMatch: boolean;
}

export interface NlbResult {
  hostname: string;
  loadBalancerArn: string;
  scheme: string;
  requests: number;
  perPod: Record<string, number>;
  checks: LoadBalancerCheck[];
}

export interface IngressResult {
  address: string;
  httpStatus: number;
  checks: LoadBalancerCheck[];
}

export interface DnsResult {
  zoneId: string;
  zoneCreated: boolean;
  recordName: string;
  recordCreatedMs: number;
  resolvedMs: number;
  addresses: string[];
  recordRemovedMs: number;
}

export interface Iperf3Test {
  name: string;
  protocol: 'tcp' | 'udp';
  /** Gbit/s as the receiver measured it. */
  gbps: number;
  retransmits?: number;
  jitterMs?: number;
  lostPercent?: number;
}

export interface Iperf3Result {
  serverNode: string;
  clientNode: string;
  tests: Iperf3Test[];
}

export interface LeftoverResource {
  kind: string;
  id: string;
}

export interface LabReport {
  labId: string;
  target: 'sandbox' | 'aws';
  region: string;
  startedAt: string;
  endedAt?: string;
  outcome: 'passed' | 'failed' | 'teardown-incomplete' | 'running';
  /** While running: when the TTL fires, and whether the lab is held before teardown. */
  ttlDeadline?: string;
  held?: boolean;
  error?: string;
  /** The lab's workflow in the Temporal Web UI. */
  workflowUrl?: string;
  phases: PhaseRecord[];
  kubernetes?: ResolvedKubernetes;
  deploy?: DeployResult;
  nodes?: NodeRecord[];
  networking?: NetworkingResult;
  density?: DensityResult;
  lbController?: LbControllerResult;
  nlb?: NlbResult;
  ingress?: IngressResult;
  dns?: DnsResult;
  iperf3?: Iperf3Result;
  teardown?: { step: string; ok: boolean; error?: string }[];
  leftovers?: LeftoverResource[];
}

/** A workflow's page in the Temporal Web UI (the run's history when the run is known). */
export const workflowUrl = (webUi: string, namespace: string, workflowId: string, runId?: string): string =>
  `${webUi}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}`;
