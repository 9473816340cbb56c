// The lab's phases, in the order LAB.md runs them. Ids are what `--phases` takes and what the
// LabPhase search attribute shows; titles are what people read in progress and reports.

/** The test phases a person may pick (what each needs before it: phaseNeeds below). */
export const optionalPhases = [
  'networking',
  'density',
  'lbController',
  'nlb',
  'ingress',
  'externalDns',
  'iperf3',
] as const;

/** Every phase in order: the lab's own around the chosen tests. */
export const phaseIds = ['validate', 'deploy', 'nodes', ...optionalPhases, 'report', 'teardown', 'leakCheck'] as const;
export type PhaseId = (typeof phaseIds)[number];
export type OptionalPhase = (typeof optionalPhases)[number];

export const phaseTitles: Record<PhaseId, string> = {
  validate: 'validate the spec',
  deploy: 'deploy network stack, cluster, node group and add-ons',
  nodes: 'wait for nodes',
  networking: 'verify the VPC CNI',
  density: 'pod density scale test',
  lbController: 'install the AWS Load Balancer Controller',
  nlb: 'NLB service test',
  ingress: 'ALB ingress test',
  externalDns: 'ExternalDNS and DNS propagation',
  iperf3: 'pod-to-pod throughput (iperf3)',
  report: 'write the report',
  teardown: 'tear down',
  leakCheck: 'check nothing is left',
};

/** Phases every lab runs whatever `--phases` says: without them there is no lab or no cleanup. */
export const alwaysRun: readonly PhaseId[] = ['validate', 'deploy', 'nodes', 'report', 'teardown', 'leakCheck'];

export const phaseNeeds: Partial<Record<OptionalPhase, OptionalPhase[]>> = {
  nlb: ['lbController'],
  ingress: ['lbController'],
  externalDns: ['lbController'],
};
