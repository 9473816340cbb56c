// The charts report.html draws where a section places one (see sections.ts), each with its colour
// key: the phase timeline, the pod → node → ENI map, pod density, the NLB's spread, DNS
// propagation and iperf3 throughput.
import { formatSeconds } from '../duration.js';
import { phaseTitles } from '../phases.js';
import type {
  DensityResult,
  DnsResult,
  EniRecord,
  LabReport,
  NetworkingResult,
  NodeRecord,
  PhaseRecord,
  PodPlacement,
} from '../report.js';
import {
  type Anchor,
  axis,
  barChart,
  chart,
  chartWidth,
  colors,
  fit,
  legend,
  scale,
  statusColors,
  text,
} from './chart-kit.js';
import { el, h, px, type Html } from './markup.js';
import { densityNodes, holds, requestShares, shortNode, type ChartName } from './sections.js';

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
    const figure = `${formatSeconds(p.durationMs ?? span[1] - span[0])}${p.status === 'passed' ? '' : ` · ${p.status}`}`;
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

function densityChart(d: DensityResult, nodes: string[], system?: Record<string, number>): Html {
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

function densityFigure(d: DensityResult, n?: NetworkingResult): Html | undefined {
  const nodes = densityNodes(d);
  if (nodes.length === 0) return undefined;
  const system = systemPodsPerNode(d, n);
  return h`${legend([
    ...(system ? [['system pods', colors.system] as [string, string]] : []),
    ['Running test pods', colors.bar],
    ['allocatable pods (line)', colors.line],
  ])}${densityChart(d, nodes, system)}`;
}

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
      text(x, above ? y - 15 : y + 25, `${label} ${formatSeconds(ms)}`, 'figure', anchor),
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

/** Each chart a section may place, drawn from the report; undefined where it has nothing to draw. */
export const charts: Record<ChartName, (r: LabReport) => Html | undefined> = {
  timeline: (r) =>
    h`${legend([...new Set(r.phases.map((p) => p.status))].map((st) => [st, statusColors[st]]))}${timelineChart(r)}`,
  'eni-map': (r) =>
    r.networking &&
    h`${legend([
      ['host-network pod', colors.hostPod],
      ['pod on an ENI secondary IP', colors.vpcPod],
      ['pod outside the VPC CIDR', colors.outsidePod],
    ])}${eniMapChart(r.networking, r.nodes ?? [])}`,
  density: (r) => r.density && densityFigure(r.density, r.networking),
  'nlb-spread': (r) => {
    const shares = r.nlb ? requestShares(r.nlb) : [];
    if (shares.length === 0) return undefined;
    const bars = shares.map((s) => ({
      label: s.pod,
      value: s.requests,
      figure: `${s.requests} (${s.percent}%)`,
      color: colors.bar,
    }));
    return barChart('nlb-spread', 'Requests answered per pod behind the NLB', bars, 'requests');
  },
  dns: (r) => r.dns && dnsChart(r.dns),
  iperf3: (r) => {
    const bars = (r.iperf3?.tests ?? []).map((t) => ({
      label: t.name === t.protocol ? t.name.toUpperCase() : `${t.name} (${t.protocol.toUpperCase()})`,
      value: t.gbps,
      figure: `${t.gbps.toFixed(2)} Gbit/s`,
      color: t.protocol === 'udp' ? colors.udp : colors.bar,
    }));
    return bars.length > 0 ? barChart('iperf3', 'iperf3 throughput per test in Gbit/s', bars, 'Gbit/s') : undefined;
  },
};
