// A small SVG chart kit for report.html: a titled frame, text, a linear scale with its axis,
// horizontal bars and a colour key. Charts are 1000 user units wide and scale down with the page.
import type { LabReport, PhaseStatus } from '../report.js';
import { el, h, px, type Html, type Slot } from './markup.js';

export const colors = {
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
export const statusColors: Record<PhaseStatus, string> = {
  passed: '#2f9e44',
  failed: '#e03131',
  running: '#1c7ed6',
  cancelled: '#f08c00',
  skipped: '#adb5bd',
  pending: '#dee2e6',
};
export const outcomeColors: Record<LabReport['outcome'], string> = {
  passed: '#2f9e44',
  failed: '#e03131',
  'teardown-incomplete': '#e8590c',
  running: '#1c7ed6',
};

export const chartWidth = 1000;

export const fit = (s: string, chars: number): string => (s.length <= chars ? s : `${s.slice(0, chars - 1)}…`);

export const chart = (name: string, title: string, height: number, ...body: Slot[]): Html =>
  el(
    'svg',
    { 'data-chart': name, role: 'img', width: chartWidth, height, viewBox: `0 0 ${chartWidth} ${px(height)}` },
    el('title', {}, title),
    ...body,
  );

export type Anchor = 'start' | 'middle' | 'end';
export const text = (x: number, y: number, s: string, cls?: string, anchor?: Anchor): Html =>
  el('text', { x, y, class: cls, 'text-anchor': anchor }, s);

export interface Scale {
  ticks: number[];
  x: (v: number) => number;
}

/** A linear scale from 0 to a round number at or above `max`, over [x0, x1]. */
export function scale(max: number, x0: number, x1: number): Scale {
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
export function axis(s: Scale, top: number, bottom: number, label: string): Html {
  const ticks = s.ticks.map((t) => [
    el('line', { x1: s.x(t), x2: s.x(t), y1: top, y2: bottom, stroke: colors.grid }),
    text(s.x(t), bottom + 14, String(t), 'muted', 'middle'),
  ]);
  const middle = (s.x(0) + s.x(s.ticks.at(-1)!)) / 2;
  return el('g', { class: 'axis' }, ticks, text(middle, bottom + 32, label, 'muted', 'middle'));
}

export interface Bar {
  label: string;
  value: number;
  /** The figure printed after the bar. */
  figure: string;
  color: string;
}

/** Horizontal bars with their figures printed, for per-pod requests and iperf3 throughput. */
export function barChart(name: string, title: string, bars: Bar[], axisLabel: string): Html {
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

/** The colour key above a chart. */
export function legend(items: [string, string][]): Html {
  const item = ([label, color]: [string, string]): Html => h`<span><i style="background:${color}"></i>${label}</span>`;
  return h`<div class="legend">${items.map(item)}</div>`;
}
