// report.html: the report's figures as one self-contained page (inline CSS and inline SVG drawn
// here, nothing fetched), so it opens from disk anywhere. Pure string building: workflow code
// imports lab/, so no Node APIs.
import { phaseTitles } from './phases.js';
import { kubernetesSupport } from './report-markdown.js';
import type {
  DensityResult,
  DnsResult,
  EniRecord,
  Iperf3Result,
  LabReport,
  LoadBalancerCheck,
  NetworkingResult,
  NlbResult,
  NodeRecord,
  PhaseRecord,
  PhaseStatus,
  PodPlacement,
  Quantiles,
} from './report.js';

// Escaping by construction: every value put into markup through `h` or `el` is escaped unless it
// is itself Html, so report strings (errors, pod names) can never become markup. (The tag is not
// called `html` so that Prettier leaves the templates' whitespace alone.)
class Html {
  constructor(readonly text: string) {}
}
type Slot = Html | string | number | boolean | null | undefined | Slot[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => entities[c]!);
const flatten = (v: Slot): string =>
  v instanceof Html
    ? v.text
    : Array.isArray(v)
      ? v.map(flatten).join('')
      : typeof v === 'string' || typeof v === 'number'
        ? escape(String(v))
        : '';

function h(strings: TemplateStringsArray, ...values: Slot[]): Html {
  return new Html(strings.reduce((out, s, i) => out + flatten(values[i - 1]) + s));
}

/** SVG coordinates with one decimal keep the markup short. */
const px = (x: number): number => Math.round(x * 10) / 10;

/** An SVG element; numeric attributes are rounded, empty ones left out. */
function el(tag: string, attrs: Record<string, string | number | undefined>, ...children: Slot[]): Html {
  const list = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${escape(typeof v === 'number' ? String(px(v)) : v!)}"`)
    .join('');
  return new Html(children.length ? `<${tag}${list}>${flatten(children)}</${tag}>` : `<${tag}${list}/>`);
}

// Formatting.
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** EC2 node names are long DNS names; the first label (ip-192-168-1-4) is what people say. */
const shortNode = (name: string): string => name.split('.')[0] || name;
const fit = (s: string, chars: number): string => (s.length <= chars ? s : `${s.slice(0, chars - 1)}…`);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

const colors = {
  bar: '#4c7fc0',
  udp: '#8a63b8',
  system: '#c5ccd6',
  line: '#1f2933',
  grid: '#e4e7eb',
  box: '#cbd2d9',
  hostPod: '#fff0c7',
  vpcPod: '#dce8f7',
  outsidePod: '#ffe3e3',
};
const statusColors: Record<PhaseStatus, string> = {
  passed: '#2f9e44',
  failed: '#e03131',
  running: '#1c7ed6',
  cancelled: '#f08c00',
  skipped: '#adb5bd',
  pending: '#dee2e6',
};
const outcomeColors: Record<LabReport['outcome'], string> = {
  passed: '#2f9e44',
  failed: '#e03131',
  'teardown-incomplete': '#e8590c',
  running: '#1c7ed6',
};

// Chart pieces. Charts are 1000 user units wide and scale down with the page.
const chartWidth = 1000;

const chart = (name: string, title: string, height: number, ...body: Slot[]): Html =>
  el(
    'svg',
    { 'data-chart': name, role: 'img', width: chartWidth, height, viewBox: `0 0 ${chartWidth} ${px(height)}` },
    el('title', {}, title),
    ...body,
  );

type Anchor = 'start' | 'middle' | 'end';
const text = (x: number, y: number, s: string, cls?: string, anchor?: Anchor): Html =>
  el('text', { x, y, class: cls, 'text-anchor': anchor }, s);

interface Scale {
  ticks: number[];
  x: (v: number) => number;
}

/** A linear scale from 0 to a round number at or above `max`, over [x0, x1]. */
function scale(max: number, x0: number, x1: number): Scale {
  const raw = (max > 0 ? max : 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  // Float noise (1.1 / 0.1 = 11.000000000000002) must not add a tick.
  const count = max > 0 ? Math.ceil(max / step - 1e-9) : 1;
  const ticks = Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(6)));
  const end = ticks.at(-1)!;
  return { ticks, x: (v) => x0 + (Math.min(v, end) / end) * (x1 - x0) };
}

/** Vertical grid lines with their values under the plot, and what the axis measures. */
function axis(s: Scale, top: number, bottom: number, label: string): Html {
  const ticks = s.ticks.map((t) => [
    el('line', { x1: s.x(t), x2: s.x(t), y1: top, y2: bottom, stroke: colors.grid }),
    text(s.x(t), bottom + 14, String(t), 'muted', 'middle'),
  ]);
  const middle = (s.x(0) + s.x(s.ticks.at(-1)!)) / 2;
  return el('g', { class: 'axis' }, ticks, text(middle, bottom + 32, label, 'muted', 'middle'));
}

interface Bar {
  label: string;
  value: number;
  /** The figure printed after the bar. */
  figure: string;
  color: string;
}

/** Horizontal bars with their figures printed, for per-pod requests and iperf3 throughput. */
function barChart(name: string, title: string, bars: Bar[], axisLabel: string): Html {
  const labelWidth = 270;
  const rowHeight = 28;
  const top = 8;
  const s = scale(Math.max(...bars.map((b) => b.value)), labelWidth, chartWidth - 150);
  const bottom = top + bars.length * rowHeight;
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const end = s.x(b.value);
    return el(
      'g',
      {},
      text(labelWidth - 10, y + 18, fit(b.label, 40), '', 'end'),
      el(
        'rect',
        {
          class: 'bar',
          x: labelWidth,
          y: y + 5,
          width: Math.max(end - labelWidth, 1),
          height: 18,
          rx: 2,
          fill: b.color,
        },
        el('title', {}, `${b.label}: ${b.figure}`),
      ),
      text(end + 6, y + 18, b.figure, 'figure'),
    );
  });
  return chart(name, title, bottom + 42, axis(s, top, bottom, axisLabel), rows);
}

// HTML pieces.

function legend(items: [string, string][]): Html {
  const item = ([label, color]: [string, string]): Html => h`<span><i style="background:${color}"></i>${label}</span>`;
  return h`<div class="legend">${items.map(item)}</div>`;
}

function table(head: string[], rows: Slot[][], numeric: number[] = []): Html {
  const cls = (i: number): string => (numeric.includes(i) ? ' class="num"' : '');
  const th = head.map((c, i) => h`<th${new Html(cls(i))}>${c}</th>`);
  const tr = rows.map((r) => h`<tr>${r.map((c, i) => h`<td${new Html(cls(i))}>${c}</td>`)}</tr>`);
  return h`<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

const yesNo = (ok: boolean): Html => (ok ? h`<span class="ok">yes</span>` : h`<span class="bad">no</span>`);
const codes = (xs: string[]): Html[] => xs.map((x, i) => h`${i ? ', ' : ''}<code>${x}</code>`);
const section = (id: string, title: string, ...body: Slot[]): Html =>
  h`<section id="${id}"><h2>${title}</h2>${body}</section>`;

// Header, phases, cluster.

function header(r: LabReport): Html {
  const took = r.endedAt ? ` (${secs(Date.parse(r.endedAt) - Date.parse(r.startedAt))})` : '';
  const badge = h`<span class="badge" style="background:${outcomeColors[r.outcome]}">${r.outcome}</span>`;
  return h`<header>
<h1>eks-netlab lab <code>${r.labId}</code> ${badge}</h1>
<p class="muted">Target <b>${r.target}</b> in <b>${r.region}</b> · started ${r.startedAt}
· ended ${r.endedAt ?? '—'}${took}</p>
${r.error ? h`<pre class="error">${r.error}</pre>` : ''}
</header>`;
}

function phaseSpan(p: PhaseRecord): [number, number] | undefined {
  if (!p.startedAt) return undefined;
  const start = Date.parse(p.startedAt);
  return [start, p.endedAt ? Date.parse(p.endedAt) : start + (p.durationMs ?? 0)];
}

function timelineChart(r: LabReport): Html {
  const labelWidth = 130;
  const rowHeight = 24;
  const top = 8;
  const spans = r.phases.map(phaseSpan);
  const known = spans.filter((s) => s !== undefined);
  const origin = Math.min(Date.parse(r.startedAt), ...known.map(([start]) => start));
  const s = scale(Math.max(0, ...known.map(([, end]) => end - origin)) / 1000, labelWidth, chartWidth - 100);
  const at = (t: number): number => s.x((t - origin) / 1000);
  const bottom = top + r.phases.length * rowHeight;
  const rows = r.phases.map((p, i) => {
    const y = top + i * rowHeight;
    const label = text(labelWidth - 10, y + 16, p.phase, '', 'end');
    const span = spans[i];
    if (!span) return el('g', {}, label, text(labelWidth + 4, y + 16, p.status, 'muted'));
    const [x0, x1] = [at(span[0]), Math.max(at(span[1]), at(span[0]) + 2)];
    const figure = `${secs(p.durationMs ?? span[1] - span[0])}${p.status === 'passed' ? '' : ` · ${p.status}`}`;
    const bar = el(
      'rect',
      {
        class: 'bar',
        'data-phase': p.phase,
        x: x0,
        y: y + 4,
        width: x1 - x0,
        height: 16,
        rx: 2,
        fill: statusColors[p.status],
      },
      el('title', {}, `${phaseTitles[p.phase]}: ${figure}`),
    );
    return el('g', {}, label, bar, text(x1 + 6, y + 16, figure, 'figure'));
  });
  return chart(
    'timeline',
    'Phase timeline: seconds since the lab started, per phase',
    bottom + 42,
    axis(s, top, bottom, 'seconds since the lab started'),
    rows,
  );
}

function phasesSection(r: LabReport): Html {
  const statuses = [...new Set(r.phases.map((p) => p.status))];
  return section(
    'phases',
    'Phases',
    legend(statuses.map((st) => [st, statusColors[st]])),
    timelineChart(r),
    table(
      ['phase', 'status', 'duration', 'error'],
      r.phases.map((p) => [
        h`<b>${p.phase}</b> <span class="muted">${phaseTitles[p.phase]}</span>`,
        h`<span style="color:${statusColors[p.status]}">${p.status}</span>`,
        p.durationMs === undefined ? '' : secs(p.durationMs),
        p.error ? h`<span class="error-text">${p.error}</span>` : '',
      ]),
      [2],
    ),
  );
}

const nodesTable = (nodes: NodeRecord[]): Html =>
  table(
    ['node', 'zone', 'instance', 'type', 'IP', 'Ready', 'allocatable pods'],
    nodes.map((n) => [n.name, n.zone, n.instanceId, n.instanceType, n.internalIp, yesNo(n.ready), n.allocatablePods]),
    [6],
  );

function clusterSection(r: LabReport): Html | undefined {
  const addons = r.deploy?.addons ?? r.networking?.addons;
  if (!r.deploy && !r.nodes && !addons) return undefined;
  const d = r.deploy;
  return section(
    'cluster',
    'Cluster',
    d &&
      h`<p>Cluster <b>${d.clusterName}</b> (Kubernetes ${d.kubernetesVersion}${kubernetesSupport(r)}), node group ${d.nodegroupName};
VPC <code>${d.network.vpcId}</code> ${d.network.vpcCidr}, subnets ${codes(d.network.subnetIds)}.</p>`,
    r.nodes && [h`<h3>Nodes</h3>`, nodesTable(r.nodes)],
    addons && [
      h`<h3>Add-ons</h3>`,
      table(
        ['add-on', 'version', 'status'],
        addons.map((a) => [a.name, a.version, a.status]),
      ),
    ],
  );
}

// VPC CNI: which ENI of which node holds each pod's IP.

interface Block {
  height: number;
  body: Html;
}

const chip = { height: 20, step: 24 };

function podChip(p: PodPlacement, y: number, width: number): Html {
  const fill = !p.inVpc ? colors.outsidePod : p.hostNetwork ? colors.hostPod : colors.vpcPod;
  const name = `${p.namespace}/${p.pod}`;
  return el(
    'g',
    { class: 'pod', 'data-pod': name },
    el('title', {}, `${name} ${p.ip}${p.inVpc ? '' : ' (outside the VPC CIDR)'}`),
    el('rect', { x: 16, y, width: width - 32, height: chip.height, rx: 3, fill }),
    text(22, y + 14, fit(p.pod, Math.floor((width - 130) / 6.3)), 'small'),
    text(width - 22, y + 14, p.ip, 'small mono', 'end'),
  );
}

/** A box inside a node: a heading, a line of detail, then one chip per pod. */
function podGroup(cls: string, y: number, width: number, heading: string, detail: string, pods: PodPlacement[]): Block {
  const height = 42 + pods.length * chip.step + 2;
  return {
    height,
    body: el(
      'g',
      { class: cls },
      el('rect', { x: 8, y, width: width - 16, height, rx: 4, fill: '#fff', stroke: colors.box }),
      text(16, y + 17, heading, 'strong'),
      text(16, y + 33, detail, 'small muted'),
      pods.map((p, i) => podChip(p, y + 42 + i * chip.step, width)),
    ),
  };
}

const holds =
  (e: EniRecord) =>
  (p: PodPlacement): boolean =>
    !p.hostNetwork && (p.eniId === e.eniId || e.secondaryIps.includes(p.ip));

/** What a node box holds: its host-network pods, then each ENI with the pods whose IPs it holds. */
function nodeBlock(
  node: string,
  info: NodeRecord | undefined,
  enis: EniRecord[],
  pods: PodPlacement[],
  width: number,
): Block {
  const parts: Html[] = [];
  let y = 48;
  const add = (b: Block): void => {
    parts.push(b.body);
    y += b.height + 8;
  };
  const host = pods.filter((p) => p.hostNetwork);
  if (host.length)
    add(podGroup('host', y, width, 'host network', `share the node's own IP ${info?.internalIp ?? host[0]!.ip}`, host));
  for (const e of [...enis].sort((a, b) => a.deviceIndex - b.deviceIndex)) {
    const held = pods.filter(holds(e));
    const detail = `primary ${e.primaryIp} · ${e.secondaryIps.length} secondary IPs, ${held.length} used`;
    add(podGroup('eni', y, width, `eth${e.deviceIndex} · ${e.eniId}`, detail, held));
  }
  const elsewhere = pods.filter((p) => !p.hostNetwork && !enis.some((e) => holds(e)(p)));
  if (elsewhere.length) add(podGroup('unmatched', y, width, 'on no ENI of this node', 'IP not found', elsewhere));
  const heading = text(10, 20, shortNode(node), 'strong');
  const detail = info && text(10, 37, `${info.zone} · ${info.instanceType} · ${info.internalIp}`, 'small muted');
  return { height: y, body: h`${heading}${detail}${parts}` };
}

function eniMapChart(n: NetworkingResult, nodes: NodeRecord[]): Html {
  const names = [...new Set([...nodes.map((x) => x.name), ...n.enis.map((e) => e.node), ...n.pods.map((p) => p.node)])];
  const columns = 3;
  const gap = 16;
  const width = (chartWidth - gap * (columns - 1)) / columns;
  const blocks = names.map((name) => ({
    name,
    ...nodeBlock(
      name,
      nodes.find((x) => x.name === name),
      n.enis.filter((e) => e.node === name),
      n.pods.filter((p) => p.node === name),
      width,
    ),
  }));
  const placed: Html[] = [];
  let y = 0;
  for (let first = 0; first < blocks.length; first += columns) {
    const row = blocks.slice(first, first + columns);
    // Nodes in a row share one height, so the boxes line up.
    const height = Math.max(...row.map((b) => b.height));
    row.forEach((b, i) =>
      placed.push(
        el(
          'g',
          { class: 'node', 'data-node': b.name, transform: `translate(${px(i * (width + gap))} ${y})` },
          el('title', {}, b.name),
          el('rect', { width, height, rx: 6, fill: '#f5f7fa', stroke: colors.box }),
          b.body,
        ),
      ),
    );
    y += height + gap;
  }
  return chart('eni-map', 'Pods, the node each runs on, and the ENI that holds its IP', Math.max(y - gap, 1), placed);
}

function networkingSection(n: NetworkingResult, nodes: NodeRecord[]): Html {
  const host = n.pods.filter((p) => p.hostNetwork).length;
  const own = n.pods.length - host;
  const onEnis = n.pods.filter((p) => n.enis.some((e) => holds(e)(p))).length;
  return section(
    'networking',
    'VPC CNI: pod → node → ENI',
    h`<p>kube-proxy mode <b>${n.kubeProxyMode}</b> · ${n.enis.length} ENIs · ${n.pods.length} pods ·
pods outside the VPC CIDR: <b>${n.podsOutsideVpc}</b>${n.podsOnNoEni === undefined ? '' : h` · pods on no ENI: <b>${n.podsOnNoEni}</b>`}</p>`,
    h`<p class="note">Why some pods seem to share the node's IP: ${host} pods run with <code>hostNetwork</code>
(aws-node, kube-proxy) in the node's own network namespace, so they show the node's IP, the primary IP of eth0.
The other ${own} pods each get a VPC address of their own, a secondary IP of one of the node's ENIs
(here ${onEnis} of the ${own} are found on an ENI): no overlay. When eth0's addresses are used up the CNI attaches
another ENI, which is why pod traffic can show on eth1.</p>`,
    legend([
      ['host-network pod', colors.hostPod],
      ['pod on an ENI secondary IP', colors.vpcPod],
      ['pod outside the VPC CIDR', colors.outsidePod],
    ]),
    eniMapChart(n, nodes),
    h`<details><summary>every pod</summary>${table(
      ['pod', 'IP', 'node', 'ENI', 'host network', 'in VPC'],
      n.pods.map((p) => [
        `${p.namespace}/${p.pod}`,
        p.ip,
        shortNode(p.node),
        p.eniId ?? '—',
        p.hostNetwork ? 'yes' : 'no',
        yesNo(p.inVpc),
      ]),
    )}</details>`,
  );
}

// Pod density.

/**
 * Pods per node as the VPC CNI check saw them, drawn as each node's system pods only when they
 * add up to the density test's own count of system pods: otherwise they would be a guess.
 */
function systemPodsPerNode(d: DensityResult, n?: NetworkingResult): Record<string, number> | undefined {
  if (!n || n.pods.length !== d.systemPods) return undefined;
  const out: Record<string, number> = {};
  for (const p of n.pods) out[p.node] = (out[p.node] ?? 0) + 1;
  return out;
}

function densityChart(d: DensityResult, system?: Record<string, number>): Html {
  const nodes = [...new Set([...Object.keys(d.allocatablePodsPerNode), ...Object.keys(d.runningPerNode)])];
  const labelWidth = 150;
  const rowHeight = 40;
  const top = 16;
  const sys = (node: string): number => system?.[node] ?? 0;
  const running = (node: string): number => d.runningPerNode[node] ?? 0;
  const most = Math.max(...nodes.map((x) => Math.max(sys(x) + running(x), d.allocatablePodsPerNode[x] ?? 0)));
  const s = scale(most, labelWidth, chartWidth - 290);
  const bottom = top + nodes.length * rowHeight;
  const rows = nodes.map((node, i) => {
    const y = top + i * rowHeight;
    const allocatable = d.allocatablePodsPerNode[node];
    const [x0, x1] = [s.x(sys(node)), s.x(sys(node) + running(node))];
    const figure = [
      sys(node) ? `${sys(node)} system + ` : '',
      `${running(node)} running`,
      allocatable === undefined ? '' : ` / ${allocatable} allocatable`,
    ].join('');
    return el(
      'g',
      {},
      el('title', {}, node),
      text(labelWidth - 10, y + 22, shortNode(node), '', 'end'),
      sys(node) > 0 &&
        el('rect', {
          class: 'system',
          x: labelWidth,
          y: y + 8,
          width: x0 - labelWidth,
          height: 20,
          fill: colors.system,
        }),
      el('rect', { class: 'bar', x: x0, y: y + 8, width: Math.max(x1 - x0, 1), height: 20, fill: colors.bar }),
      allocatable !== undefined &&
        el('line', {
          class: 'allocatable',
          x1: s.x(allocatable),
          x2: s.x(allocatable),
          y1: y + 2,
          y2: y + 34,
          stroke: colors.line,
          'stroke-width': 2,
        }),
      text(Math.max(x1, s.x(allocatable ?? 0)) + 8, y + 22, figure, 'figure'),
    );
  });
  return chart(
    'density',
    'Running pods per node against allocatable pods',
    bottom + 42,
    axis(s, top - 8, bottom, 'pods'),
    rows,
  );
}

const quantileRow = (name: string, q: Quantiles): Slot[] => [name, q.count, q.p50, q.p90, q.p99, q.max, q.mean];

function densitySection(d: DensityResult, n?: NetworkingResult): Html {
  const system = systemPodsPerNode(d, n);
  const reasons = Object.entries(d.pendingReasons);
  const card = (label: string, value: Slot, cls = ''): Html =>
    h`<div class="card ${cls}"><b>${value}</b>${label}</div>`;
  return section(
    'density',
    'Pod density',
    h`<p>${d.instanceType}: ${d.maxEnis} ENIs × (${d.ipv4PerEni} IPv4 per ENI − 1) + 2 =
<b>${d.expectedMaxPodsPerNode}</b> pods per node; ${d.systemPods} system pods; ${d.replicas} replicas asked for.</p>`,
    h`<div class="cards">${[
      card('expected free capacity', d.expectedFreeCapacity),
      card('Running', d.running, 'running'),
      card('Pending', d.pending, d.pending ? 'pending' : ''),
      card(
        'Pending reasons',
        reasons.length ? reasons.map(([k, v]) => h`<span class="reason">${v} × ${k}</span>`) : 'none',
        'reasons',
      ),
    ]}</div>`,
    legend([
      ...(system ? [['system pods', colors.system] as [string, string]] : []),
      ['Running test pods', colors.bar],
      ['allocatable pods (line)', colors.line],
    ]),
    Object.keys(d.allocatablePodsPerNode).length + Object.keys(d.runningPerNode).length > 0 && densityChart(d, system),
    table(
      ['start-up latency (ms)', 'pods', 'p50', 'p90', 'p99', 'max', 'mean'],
      [quantileRow('scheduled', d.scheduledLatencyMs), quantileRow('ready', d.readyLatencyMs)],
      [1, 2, 3, 4, 5, 6],
    ),
  );
}

// Load balancers.

const checksTable = (checks: LoadBalancerCheck[]): Html =>
  table(
    ['step', 'replicas', 'pod IPs', 'target IPs', 'targets match'],
    checks.map((c) => [c.step, c.replicas, c.podIps.join(' '), c.targetIps.join(' '), yesNo(c.targetsMatch)]),
    [1],
  );

function nlbSection(nlb: NlbResult, r: LabReport): Html {
  const total = sum(Object.values(nlb.perPod)) || 1;
  const bars = Object.entries(nlb.perPod).map(([pod, count]) => ({
    label: pod,
    value: count,
    figure: `${count} (${Math.round((count / total) * 100)}%)`,
    color: colors.bar,
  }));
  const lbc = r.lbController;
  return section(
    'nlb',
    'NLB service',
    lbc &&
      h`<p class="muted">AWS Load Balancer Controller ${lbc.release} (${lbc.chart}),
available: ${yesNo(lbc.available)}.</p>`,
    h`<p><code>${nlb.hostname}</code> (${nlb.scheme}); ${nlb.requests} requests, answered per pod:</p>`,
    bars.length > 0 && barChart('nlb-spread', 'Requests answered per pod behind the NLB', bars, 'requests'),
    h`<h3>Targets after each step</h3>`,
    checksTable(nlb.checks),
  );
}

const ingressSection = (ingress: NonNullable<LabReport['ingress']>): Html =>
  section(
    'ingress',
    'ALB ingress',
    h`<p><code>${ingress.address}</code>: HTTP <b>${ingress.httpStatus}</b>.</p>`,
    checksTable(ingress.checks),
  );

// DNS propagation: two clocks, one from creating the Service and one from deleting it.

function dnsChart(dns: DnsResult): Html {
  const [x0, x1] = [180, chartWidth - 40];
  const s = scale(Math.max(dns.resolvedMs, dns.recordRemovedMs) / 1000, x0, x1);
  const lane = (y: number, label: string, endMs: number): Html[] => [
    text(x0 - 12, y + 4, label, '', 'end'),
    el('line', { x1: x0, x2: s.x(endMs / 1000), y1: y, y2: y, stroke: colors.system, 'stroke-width': 4 }),
  ];
  const marker = (y: number, ms: number, label: string, above: boolean, color: string): Html => {
    const x = s.x(ms / 1000);
    // Labels near either end start or end at the marker so they stay inside the chart.
    const anchor: Anchor = x - x0 < 90 ? 'start' : x1 - x < 90 ? 'end' : 'middle';
    return el(
      'g',
      { class: 'marker' },
      el('line', { x1: x, x2: x, y1: y - 9, y2: y + 9, stroke: color, 'stroke-width': 2 }),
      el('circle', { cx: x, cy: y, r: 5, fill: color }),
      text(x, above ? y - 15 : y + 25, `${label} ${secs(ms)}`, 'figure', anchor),
    );
  };
  const [created, deleted, bottom] = [40, 112, 140];
  return chart(
    'dns',
    'DNS propagation: seconds until the record is in Route53, resolves, and is removed',
    bottom + 42,
    axis(s, 8, bottom, 'seconds'),
    lane(created, 'from Service created', dns.resolvedMs),
    marker(created, dns.recordCreatedMs, 'record in Route53', true, '#1c7ed6'),
    marker(created, dns.resolvedMs, 'resolves', false, '#2f9e44'),
    lane(deleted, 'from Service deleted', dns.recordRemovedMs),
    marker(deleted, dns.recordRemovedMs, 'removed after', true, '#868e96'),
  );
}

const dnsSection = (dns: DnsResult): Html =>
  section(
    'dns',
    'ExternalDNS and DNS propagation',
    h`<p>Record <code>${dns.recordName}</code>
in zone <code>${dns.zoneId}</code>${dns.zoneCreated ? ' (made by the lab)' : ''};
answers ${codes(dns.addresses)}.</p>`,
    dnsChart(dns),
  );

// iperf3.

function iperf3Section(ip: Iperf3Result): Html {
  const bars = ip.tests.map((t) => ({
    label: t.name === t.protocol ? t.name.toUpperCase() : `${t.name} (${t.protocol.toUpperCase()})`,
    value: t.gbps,
    figure: `${t.gbps.toFixed(2)} Gbit/s`,
    color: t.protocol === 'udp' ? colors.udp : colors.bar,
  }));
  return section(
    'iperf3',
    'Pod-to-pod throughput (iperf3)',
    h`<p>Server on <b>${shortNode(ip.serverNode)}</b>, client on <b>${shortNode(ip.clientNode)}</b>;
throughput as the receiver measured it.</p>`,
    bars.length > 0 && barChart('iperf3', 'iperf3 throughput per test in Gbit/s', bars, 'Gbit/s'),
    table(
      ['test', 'protocol', 'Gbit/s', 'retransmits', 'jitter ms', 'loss %'],
      ip.tests.map((t) => [
        t.name,
        t.protocol,
        t.gbps.toFixed(2),
        t.retransmits,
        t.jitterMs?.toFixed(3),
        t.lostPercent?.toFixed(2),
      ]),
      [2, 3, 4, 5],
    ),
  );
}

// Teardown and leak check.

function cleanupSection(r: LabReport): Html | undefined {
  if (!r.teardown && !r.leftovers) return undefined;
  const left = r.leftovers;
  return section(
    'cleanup',
    'Teardown and leak check',
    r.teardown &&
      table(
        ['step', 'ok', 'error'],
        r.teardown.map((t) => [t.step, yesNo(t.ok), t.error]),
      ),
    left?.length === 0 && h`<p class="ok">Leak check: nothing tagged with the lab id is left.</p>`,
    left &&
      left.length > 0 && [
        h`<p class="bad">Leak check: ${left.length} resources tagged with the lab id are left.</p>`,
        table(
          ['kind', 'id'],
          left.map((l) => [l.kind, l.id]),
        ),
      ],
  );
}

const css = `
:root { --fg: #1f2933; --muted: #616e7c; --line: #e4e7eb; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 code { font-size: 20px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
p { margin: 6px 0; }
code { white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.muted { color: var(--muted); }
.note { background: #f8f9fb; border-left: 3px solid #4c7fc0; padding: 6px 12px; }
.badge { padding: 1px 12px; border-radius: 999px; color: #fff; font-size: 14px; font-weight: 600; }
.error { white-space: pre-wrap; word-break: break-word; background: #fff5f5; border: 1px solid #ffc9c9;
  padding: 8px 12px; border-radius: 6px; font-size: 12px;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.error-text { color: #c92a2a; white-space: pre-wrap; word-break: break-word; }
.ok { color: #2f9e44; font-weight: 600; }
.bad { color: #e03131; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin: 8px 0; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -2px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; min-width: 150px;
  color: var(--muted); font-size: 12px; }
.card b { display: block; font-size: 22px; color: var(--fg); font-variant-numeric: tabular-nums; }
.card.running b { color: #4c7fc0; }
.card.pending b { color: #e8590c; }
.card.reasons b { font-size: 15px; line-height: 1.9; }
.reason { display: block; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--muted); }
svg { display: block; max-width: 100%; height: auto; margin: 6px 0; }
svg text { font-size: 12px; fill: var(--fg); }
svg text.muted { fill: var(--muted); }
svg text.small { font-size: 11px; }
svg text.strong { font-weight: 600; }
svg text.mono { font-size: 11px; }
svg text.figure { font-variant-numeric: tabular-nums; }
`;

/** The whole page; sections whose data the report lacks are left out. */
export function renderHtml(r: LabReport): string {
  const sections = [
    phasesSection(r),
    clusterSection(r),
    r.networking && networkingSection(r.networking, r.nodes ?? []),
    r.density && densitySection(r.density, r.networking),
    r.nlb && nlbSection(r.nlb, r),
    r.ingress && ingressSection(r.ingress),
    r.dns && dnsSection(r.dns),
    r.iperf3 && iperf3Section(r.iperf3),
    cleanupSection(r),
  ];
  // The CSP keeps the page from loading or running anything, whatever a report string holds.
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eks-netlab ${r.labId}: ${r.outcome}</title>
<style>${new Html(css)}</style>
</head>
<body>
<main>
${header(r)}
${sections.map((s) => s && h`${s}\n`)}</main>
</body>
</html>
`.text;
}
