// Lab-over-lab trend: the latest passed lab against the median of the passed labs before it,
// metric by metric. A metric regresses when it is worse than its baseline by more than the
// threshold (slower phases, pod start-up and DNS; fewer Gbit/s in iperf3).
import type { LabReport } from './report.js';

export interface TrendRow {
  metric: string;
  unit: 'ms' | 'Gbit/s';
  baseline?: number;
  latest?: number;
  /** (latest − baseline) / baseline, in percent. */
  changePercent?: number;
  regressed: boolean;
}

export interface Trend {
  latest?: LabReport;
  /** How many earlier passed labs the baseline is the median of. */
  baselineRuns: number;
  rows: TrendRow[];
}

interface Metric {
  value: number;
  unit: TrendRow['unit'];
  higherIsBetter: boolean;
}

/** The numbers one report offers for comparison, by metric name. */
export function metricsOf(r: LabReport): Map<string, Metric> {
  const out = new Map<string, Metric>();
  const ms = (name: string, value: number | undefined): void => {
    if (value !== undefined) out.set(name, { value, unit: 'ms', higherIsBetter: false });
  };
  for (const p of r.phases) if (p.status === 'passed') ms(`phase ${p.phase}`, p.durationMs);
  const ready = r.density?.readyLatencyMs;
  if (ready && ready.count > 0) {
    ms('pod ready p50', ready.p50);
    ms('pod ready p90', ready.p90);
    ms('pod ready p99', ready.p99);
  }
  for (const t of r.iperf3?.tests ?? []) {
    out.set(`iperf3 ${t.name}`, { value: t.gbps, unit: 'Gbit/s', higherIsBetter: true });
  }
  ms('dns resolved', r.dns?.resolvedMs);
  return out;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function compareLabs(reports: LabReport[], thresholdPercent = 25): Trend {
  const passed = reports
    .filter((r) => r.outcome === 'passed')
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const latest = passed.at(-1);
  if (!latest) return { baselineRuns: 0, rows: [] };
  const earlier = passed.slice(0, -1).map(metricsOf);
  const rows: TrendRow[] = [];
  for (const [metric, now] of metricsOf(latest)) {
    const history = earlier.flatMap((m) => m.get(metric)?.value ?? []);
    const row: TrendRow = { metric, unit: now.unit, latest: now.value, regressed: false };
    if (history.length > 0) {
      row.baseline = median(history);
      if (row.baseline > 0) {
        row.changePercent = ((now.value - row.baseline) / row.baseline) * 100;
        const worse = now.higherIsBetter ? -row.changePercent : row.changePercent;
        row.regressed = worse > thresholdPercent;
      }
    }
    rows.push(row);
  }
  return { latest, baselineRuns: earlier.length, rows };
}
