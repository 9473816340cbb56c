// The report as data: a header and sections of prose, figures and tables of cells, built once
// from the LabReport. report.html and report.md both render this, so they say the same things;
// only the drawing differs (the HTML adds charts where a section places one).
import { formatSeconds } from '../duration.js';
import { phaseTitles } from '../phases.js';
import type {
  DensityResult,
  DnsResult,
  EniRecord,
  Iperf3Result,
  LabReport,
  LbControllerResult,
  LoadBalancerCheck,
  NetworkingResult,
  NlbResult,
  NodeRecord,
  PhaseStatus,
  PodPlacement,
  Quantiles,
} from '../report.js';

/** Inline text: plain, strong (a figure that matters), or code (an id, an address). */
export type Span = string | number | { strong: string | number } | { code: string } | { link: string; text: string };

export interface MarkedCell {
  text: string | number;
  /** A verdict (yes/no) or an error, which the HTML colours. */
  tone?: 'ok' | 'bad' | 'error';
  status?: PhaseStatus;
  /** Words after the text, such as a phase's title after its id. */
  detail?: string;
}
export type Cell = string | number | undefined | MarkedCell;

export interface Column {
  title: string;
  numeric?: boolean;
}

export interface Table {
  kind: 'table';
  title?: string;
  /** A long list, or one a chart already draws: the HTML shows it on request. */
  folded?: boolean;
  columns: Column[];
  rows: Cell[][];
}
export interface Paragraph {
  kind: 'text';
  spans: Span[];
  tone?: 'muted' | 'note' | 'ok' | 'bad';
}
/** A few headline figures (the HTML shows them as cards). */
export interface Figures {
  kind: 'figures';
  items: { label: string; value: number | string[]; tone?: 'running' | 'pending' }[];
}
export type ChartName = 'timeline' | 'eni-map' | 'density' | 'nlb-spread' | 'dns' | 'iperf3';
/** Where report.html draws a chart of the section's figures; report.md has no drawings. */
export interface ChartPlace {
  kind: 'chart';
  name: ChartName;
}
export type Block = Paragraph | Figures | Table | ChartPlace;

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export interface ReportView {
  labId: string;
  outcome: LabReport['outcome'];
  /** Target, region, start, end and how long the lab took. */
  summary: Span[];
  error?: string;
  sections: Section[];
}

/** EC2 node names are long DNS names; the first label (ip-192-168-1-4) is what people say. */
export const shortNode = (name: string): string => name.split('.')[0] || name;

/** Whether an ENI holds a pod's IP (host-network pods use the node's own). */
export const holds =
  (e: EniRecord) =>
  (p: PodPlacement): boolean =>
    !p.hostNetwork && (p.eniId === e.eniId || e.secondaryIps.includes(p.ip));

/** Each pod behind the NLB with the requests it answered and its share of them in percent. */
export function requestShares(nlb: NlbResult): { pod: string; requests: number; percent: number }[] {
  const total = Object.values(nlb.perPod).reduce((a, b) => a + b, 0) || 1;
  return Object.entries(nlb.perPod).map(([pod, requests]) => ({
    pod,
    requests,
    percent: Math.round((requests / total) * 100),
  }));
}

const text = (spans: Span[], tone?: Paragraph['tone']): Paragraph => ({ kind: 'text', spans, tone });
const table = (columns: Column[], rows: Cell[][], title?: string, folded?: boolean): Table => ({
  kind: 'table',
  title,
  folded,
  columns,
  rows,
});
const chart = (name: ChartName): ChartPlace => ({ kind: 'chart', name });
const col = (title: string): Column => ({ title });
const num = (title: string): Column => ({ title, numeric: true });
const yesNo = (ok: boolean): MarkedCell => ({ text: ok ? 'yes' : 'no', tone: ok ? 'ok' : 'bad' });
const codes = (xs: string[]): Span[] => xs.flatMap((x, i) => (i ? [', ', { code: x }] : [{ code: x }]));
const present = <T>(xs: (T | undefined | false)[]): T[] => xs.filter((x): x is T => x !== undefined && x !== false);

/** How the report words the resolved version's support: ", standard support until …, upgrade policy …". */
function kubernetesSupport(r: LabReport): string {
  const k = r.kubernetes;
  if (!k) return '';
  const support =
    k.status === 'STANDARD_SUPPORT' ? `standard support until ${k.endOfStandardSupport}` : 'extended support';
  return `, ${support}, upgrade policy ${k.supportType}`;
}

export const phasesSection = (r: LabReport): Section => ({
  id: 'phases',
  title: 'Phases',
  blocks: [
    chart('timeline'),
    table(
      [col('phase'), col('status'), num('duration'), col('error')],
      r.phases.map((p): Cell[] => [
        { text: p.phase, detail: phaseTitles[p.phase] },
        { text: p.status, status: p.status },
        p.durationMs === undefined ? '' : formatSeconds(p.durationMs),
        p.error && { text: p.error, tone: 'error' },
      ]),
    ),
  ],
});

function clusterSection(r: LabReport): Section | undefined {
  const addons = r.deploy?.addons ?? r.networking?.addons;
  if (!r.deploy && !r.nodes && !addons) return undefined;
  const d = r.deploy;
  return {
    id: 'cluster',
    title: 'Cluster',
    blocks: present([
      d &&
        text([
          'Cluster ',
          { strong: d.clusterName },
          ` (Kubernetes ${d.kubernetesVersion}${kubernetesSupport(r)}), node group ${d.nodegroupName}; VPC `,
          { code: d.network.vpcId },
          ` ${d.network.vpcCidr}, subnets `,
          ...codes(d.network.subnetIds),
          '.',
        ]),
      r.nodes && nodesTable(r.nodes),
      addons &&
        table(
          [col('add-on'), col('version'), col('status')],
          addons.map((a) => [a.name, a.version, a.status]),
          'Add-ons',
        ),
    ]),
  };
}

const nodesTable = (nodes: NodeRecord[]): Table =>
  table(
    [col('node'), col('zone'), col('instance'), col('type'), col('IP'), col('Ready'), num('allocatable pods')],
    nodes.map((n) => [n.name, n.zone, n.instanceId, n.instanceType, n.internalIp, yesNo(n.ready), n.allocatablePods]),
    'Nodes',
  );

function networkingSection(n: NetworkingResult): Section {
  const host = n.pods.filter((p) => p.hostNetwork).length;
  const own = n.pods.length - host;
  const onEnis = n.pods.filter((p) => n.enis.some((e) => holds(e)(p))).length;
  return {
    id: 'networking',
    title: 'VPC CNI: pod → node → ENI',
    blocks: [
      text([
        'kube-proxy mode ',
        { strong: n.kubeProxyMode },
        ` · ${n.enis.length} ENIs · ${n.pods.length} pods · pods outside the VPC CIDR: `,
        { strong: n.podsOutsideVpc },
        ...(n.podsOnNoEni === undefined ? [] : [' · pods on no ENI: ', { strong: n.podsOnNoEni }]),
      ]),
      text(
        [
          `Why some pods seem to share the node's IP: ${host} pods run with `,
          { code: 'hostNetwork' },
          ` (aws-node, kube-proxy) in the node's own network namespace, so they show the node's IP, the primary IP of eth0. ` +
            `The other ${own} pods each get a VPC address of their own, a secondary IP of one of the node's ENIs ` +
            `(here ${onEnis} of the ${own} are found on an ENI): no overlay. When eth0's addresses are used up the CNI ` +
            'attaches another ENI, which is why pod traffic can show on eth1.',
        ],
        'note',
      ),
      chart('eni-map'),
      table(
        [col('ENI'), col('node'), num('device'), col('primary IP'), num('secondary IPs')],
        n.enis.map((e) => [e.eniId, shortNode(e.node), e.deviceIndex, e.primaryIp, e.secondaryIps.length]),
        'ENIs',
        true,
      ),
      table(
        [col('pod'), col('IP'), col('node'), col('ENI'), col('host network'), col('in VPC')],
        n.pods.map((p) => [
          `${p.namespace}/${p.pod}`,
          p.ip,
          shortNode(p.node),
          p.eniId ?? '—',
          p.hostNetwork ? 'yes' : 'no',
          yesNo(p.inVpc),
        ]),
        'Pods',
        true,
      ),
    ],
  };
}

/** The nodes the density test counted allocatable or running pods on. */
export const densityNodes = (d: DensityResult): string[] => [
  ...new Set([...Object.keys(d.allocatablePodsPerNode), ...Object.keys(d.runningPerNode)]),
];

const quantileRow = (name: string, q: Quantiles): Cell[] => [name, q.count, q.p50, q.p90, q.p99, q.max, q.mean];

function densitySection(d: DensityResult): Section {
  const reasons = Object.entries(d.pendingReasons).map(([reason, count]) => `${count} × ${reason}`);
  const nodes = densityNodes(d);
  return {
    id: 'density',
    title: 'Pod density',
    blocks: present([
      text([
        `${d.instanceType}: ${d.maxEnis} ENIs × (${d.ipv4PerEni} IPv4 per ENI − 1) + 2 = `,
        { strong: d.expectedMaxPodsPerNode },
        ` pods per node; ${d.systemPods} system pods; ${d.replicas} replicas asked for.`,
      ]),
      {
        kind: 'figures',
        items: [
          { label: 'expected free capacity', value: d.expectedFreeCapacity },
          { label: 'Running', value: d.running, tone: 'running' },
          { label: 'Pending', value: d.pending, tone: d.pending ? 'pending' : undefined },
          { label: 'Pending reasons', value: reasons.length ? reasons : ['none'] },
        ],
      },
      chart('density'),
      nodes.length > 0 &&
        table(
          [col('node'), num('Running test pods'), num('allocatable pods')],
          nodes.map((node) => [shortNode(node), d.runningPerNode[node] ?? 0, d.allocatablePodsPerNode[node]]),
          'Pods per node',
          true,
        ),
      table(
        ['start-up latency (ms)', 'pods', 'p50', 'p90', 'p99', 'max', 'mean'].map((title, i) =>
          i ? num(title) : col(title),
        ),
        [quantileRow('scheduled', d.scheduledLatencyMs), quantileRow('ready', d.readyLatencyMs)],
      ),
    ]),
  };
}

const lbControllerSection = (lbc: LbControllerResult): Section => ({
  id: 'lb-controller',
  title: 'AWS Load Balancer Controller',
  blocks: [
    text([
      `${lbc.release} (${lbc.chart}), role `,
      { code: lbc.roleArn },
      '; available: ',
      { strong: lbc.available ? 'yes' : 'no' },
      '.',
    ]),
  ],
});

const checksTable = (checks: LoadBalancerCheck[], title?: string): Table =>
  table(
    [col('step'), num('replicas'), col('pod IPs'), col('target IPs'), col('targets match')],
    checks.map((c) => [c.step, c.replicas, c.podIps.join(' '), c.targetIps.join(' '), yesNo(c.targetsMatch)]),
    title,
  );

const nlbSection = (nlb: NlbResult): Section => ({
  id: 'nlb',
  title: 'NLB service',
  blocks: [
    text([{ code: nlb.hostname }, ` (${nlb.scheme}); ${nlb.requests} requests, answered per pod:`]),
    chart('nlb-spread'),
    table(
      [col('pod'), num('requests'), num('share')],
      requestShares(nlb).map((s) => [s.pod, s.requests, `${s.percent}%`]),
      'Requests per pod',
      true,
    ),
    checksTable(nlb.checks, 'Targets after each step'),
  ],
});

const ingressSection = (ingress: NonNullable<LabReport['ingress']>): Section => ({
  id: 'ingress',
  title: 'ALB ingress',
  blocks: [
    text([{ code: ingress.address }, ': HTTP ', { strong: ingress.httpStatus }, '.']),
    checksTable(ingress.checks),
  ],
});

// DNS propagation: two clocks, one from creating the Service and one from deleting it.
const dnsSection = (dns: DnsResult): Section => ({
  id: 'dns',
  title: 'ExternalDNS and DNS propagation',
  blocks: [
    text([
      'Record ',
      { code: dns.recordName },
      ' in zone ',
      { code: dns.zoneId },
      `${dns.zoneCreated ? ' (made by the lab)' : ''}; answers `,
      ...codes(dns.addresses),
      '.',
    ]),
    chart('dns'),
    table(
      [num('in Route53 after Service created'), num('resolves after'), num('removed after Service deleted')],
      [[formatSeconds(dns.recordCreatedMs), formatSeconds(dns.resolvedMs), formatSeconds(dns.recordRemovedMs)]],
    ),
  ],
});

const iperf3Section = (ip: Iperf3Result): Section => ({
  id: 'iperf3',
  title: 'Pod-to-pod throughput (iperf3)',
  blocks: [
    text([
      'Server on ',
      { strong: shortNode(ip.serverNode) },
      ', client on ',
      { strong: shortNode(ip.clientNode) },
      '; throughput as the receiver measured it.',
    ]),
    chart('iperf3'),
    table(
      [col('test'), col('protocol'), num('Gbit/s'), num('retransmits'), num('jitter ms'), num('loss %')],
      ip.tests.map((t) => [
        t.name,
        t.protocol,
        t.gbps.toFixed(2),
        t.retransmits,
        t.jitterMs?.toFixed(3),
        t.lostPercent?.toFixed(2),
      ]),
    ),
  ],
});

function cleanupSection(r: LabReport): Section | undefined {
  if (!r.teardown && !r.leftovers) return undefined;
  const left = r.leftovers;
  return {
    id: 'cleanup',
    title: 'Teardown and leak check',
    blocks: present([
      r.teardown &&
        table(
          [col('step'), col('ok'), col('error')],
          r.teardown.map((t): Cell[] => [t.step, yesNo(t.ok), t.error && { text: t.error, tone: 'error' }]),
        ),
      left?.length === 0 && text(['Leak check: nothing tagged with the lab id is left.'], 'ok'),
      ...(left && left.length > 0
        ? [
            text([`Leak check: ${left.length} resources tagged with the lab id are left.`], 'bad'),
            table(
              [col('kind'), col('id')],
              left.map((l) => [l.kind, l.id]),
            ),
          ]
        : []),
    ]),
  };
}

/** The report's header and sections; sections whose data the report lacks are left out. */
export function reportView(r: LabReport): ReportView {
  const took = r.endedAt ? ` (${formatSeconds(Date.parse(r.endedAt) - Date.parse(r.startedAt))})` : '';
  return {
    labId: r.labId,
    outcome: r.outcome,
    summary: [
      'Target ',
      { strong: r.target },
      ' in ',
      { strong: r.region },
      ` · started ${r.startedAt} · ended ${r.endedAt ?? '—'}${took}`,
      ...(r.workflowUrl ? [' · ', { link: r.workflowUrl, text: 'its workflow in the Temporal Web UI' }] : []),
    ],
    error: r.error,
    sections: present([
      phasesSection(r),
      clusterSection(r),
      r.networking && networkingSection(r.networking),
      r.density && densitySection(r.density),
      r.lbController && lbControllerSection(r.lbController),
      r.nlb && nlbSection(r.nlb),
      r.ingress && ingressSection(r.ingress),
      r.dns && dnsSection(r.dns),
      r.iperf3 && iperf3Section(r.iperf3),
      cleanupSection(r),
    ]),
  };
}
