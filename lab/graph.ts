// The lab's steps as one declaration: what each needs finished before it starts, and what it
// spends of the emulated cloud's delays. The workflow takes its step order from here
// (workflows/lab.ts, runAsGraph) and the bench its critical path (bench/critical-path.ts).
// Data and pure functions only, so workflow code may import it.
import type { CloudDelays } from './cloud-delays.js';
import type { LabSpec } from './spec.js';
import { optionalPhases, type OptionalPhase } from './phases.js';

export const labStepIds = [
  'network',
  'cluster',
  'nodegroup',
  'addons',
  'deploy',
  'nodes',
  'lbController',
  'networking',
  'density',
  'nlb',
  'ingress',
  'externalDns',
  'iperf3',
  'teardown',
] as const;
export type LabStepId = (typeof labStepIds)[number];

/** What a step's emulated delays depend on: the cloud's delays (the sandbox's running latency profile) and the lab's spec. */
export interface EmulatedCloud {
  profile: CloudDelays;
  spec: Pick<LabSpec, 'iperf3' | 'replicas' | 'phases'>;
}

export interface LabStep {
  /** Steps that must have finished before this one starts. */
  needs: readonly LabStepId[];
  /** Steps it waits for half-way, after work of its own that spends none of the emulated delays. */
  needsHalfWay?: readonly LabStepId[];
  /** The emulated cloud's delays this step waits out (after its half-way wait), in ms. */
  spends: (cloud: EmulatedCloud) => number;
}

/**
 * The slowest of `pods` pods started at once, expected: KWOK delays each pod's start by a draw
 * between podStartMs and max(podStartMs, podStartJitterMs) (the sandbox's KWOK stages), and
 * the expected largest of n even draws lies n/(n+1) of the way up.
 */
export function podStartMs(profile: CloudDelays, pods: number): number {
  const spread = Math.max(0, profile.podStartJitterMs - profile.podStartMs);
  return profile.podStartMs + (spread * pods) / (pods + 1);
}

/**
 * The density test fills every pod slot on purpose (that is how it shows Pending "Too many
 * pods"), so nothing that schedules pods runs beside it: it starts after these steps — the node
 * wait, the pod → ENI map of the cluster's own pods (taken before it, as LAB.md does) and the
 * controller, whose pods must be running before it counts the system pods — and every test that
 * schedules pods starts after it.
 */
const densityRunsAfter = ['nodes', 'networking', 'lbController'] as const;
const afterDensity = [...densityRunsAfter, 'density'] as const;

export const labSteps: Record<LabStepId, LabStep> = {
  network: { needs: [], spends: ({ profile }) => profile.stackCreateMs },
  cluster: { needs: ['network'], spends: ({ profile }) => profile.clusterCreateMs },
  nodegroup: { needs: ['cluster'], spends: ({ profile }) => profile.nodegroupCreateMs },
  // Beside the node group: an add-on that needs nodes (coredns) is waited for in the nodes step.
  addons: { needs: ['cluster'], spends: ({ profile }) => profile.addonCreateMs },
  // The phase a person reads as one: it starts at once and spans its parts.
  deploy: { needs: [], needsHalfWay: ['network', 'cluster', 'nodegroup', 'addons'], spends: () => 0 },
  nodes: { needs: ['deploy'], spends: () => 0 },
  // Its IAM needs only the cluster; the chart's Service webhook (failurePolicy Fail) refuses new
  // Services until the controller runs, so the add-ons' own (kube-dns) must exist first. Then
  // its two replicas start.
  lbController: { needs: ['cluster'], needsHalfWay: ['deploy'], spends: ({ profile }) => podStartMs(profile, 2) },
  networking: { needs: ['nodes'], spends: () => 0 },
  density: { needs: densityRunsAfter, spends: ({ profile, spec }) => podStartMs(profile, spec.replicas) },
  // Two echo pods behind a load balancer that is still provisioning, serving once a target has
  // passed its first health checks; then scaled 1 → 3, two pods more.
  nlb: {
    needs: afterDensity,
    spends: ({ profile }) =>
      Math.max(profile.loadBalancerProvisionMs, podStartMs(profile, 2) + profile.targetInitialMs) +
      podStartMs(profile, 2),
  },
  ingress: {
    needs: afterDensity,
    spends: ({ profile }) =>
      Math.max(profile.loadBalancerProvisionMs, podStartMs(profile, 3) + profile.targetInitialMs),
  },
  // ExternalDNS's pod starts, writes the record, and the name resolves once it has propagated.
  externalDns: { needs: afterDensity, spends: ({ profile }) => podStartMs(profile, 1) + profile.dnsPropagationMs },
  // A server and a client pod, then four tests (TCP, UDP, bidirectional, parallel) one after another.
  iperf3: {
    needs: afterDensity,
    spends: ({ profile, spec }) => podStartMs(profile, 2) + 4 * spec.iperf3.seconds * 1000,
  },
  // After every step, whatever happened; node groups are deleted before the cluster.
  teardown: {
    needs: ['nlb', 'ingress', 'externalDns', 'iperf3', 'density', 'networking', 'lbController', 'nodes'],
    spends: ({ profile }) => profile.nodegroupDeleteMs + profile.clusterDeleteMs,
  },
};

/** Whether the lab runs this step: every step but the test phases `--phases` left out. */
export function runsStep(id: LabStepId, phases: readonly OptionalPhase[]): boolean {
  return !optionalPhases.includes(id as OptionalPhase) || phases.includes(id as OptionalPhase);
}
