// `npm run lab -- trend`: is the latest lab slower than the ones before it? Reads the reports the
// worker wrote, prints one row per metric and exits 1 when something regressed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSeconds } from '../lab/duration.js';
import { reportsDir } from '../lab/local.js';
import type { LabReport } from '../lab/report.js';
import { compareLabs, type TrendRow } from '../lab/trend.js';
import { command, UsageError, type Command } from './cli.js';

/** Every <dir>/<lab-id>/report.json; folders without one (a lab still running) are passed over. */
export async function loadReports(dir: string): Promise<LabReport[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const reports: LabReport[] = [];
  for (const e of entries.filter((e) => e.isDirectory())) {
    const text = await readFile(join(dir, e.name, 'report.json'), 'utf8').catch(() => undefined);
    if (text) reports.push(JSON.parse(text) as LabReport);
  }
  return reports;
}

const show = (v: number | undefined, unit: TrendRow['unit']): string =>
  v === undefined ? '-' : unit === 'ms' ? formatSeconds(v, 2) : `${v.toFixed(2)} Gbit/s`;

export function trendTable(rows: TrendRow[]): string[] {
  const cells = rows.map((r) => [
    r.metric,
    show(r.baseline, r.unit),
    show(r.latest, r.unit),
    r.changePercent === undefined ? '-' : `${r.changePercent >= 0 ? '+' : ''}${r.changePercent.toFixed(1)}%`,
    r.regressed ? 'REGRESSED' : '',
  ]);
  const all = [['metric', 'baseline', 'latest', 'change', 'flag'], ...cells];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export const trendCommands: Record<string, Command> = {
  trend: command({
    about: 'latest passed lab vs the median of earlier ones; exit 1 on a regression',
    flags: {
      dir: { value: 'DIR', help: 'where the reports are (default .netlab/reports)' },
      threshold: { value: 'PERCENT', help: 'how much slower counts as a regression', default: '25' },
    },
    // Reads only local files: never connects to Temporal.
    async run({ flags }) {
      const threshold = Number(flags.threshold);
      if (!(threshold >= 0)) throw new UsageError('--threshold needs a percentage such as 25');
      const dir = flags.dir ?? reportsDir;
      const trend = compareLabs(await loadReports(dir), threshold);
      if (!trend.latest) {
        console.log(`no passed lab in ${dir}`);
        return 0;
      }
      console.log(
        `${trend.latest.labId} (${trend.latest.startedAt}) vs the median of ${trend.baselineRuns} earlier passed labs, threshold ${threshold}%`,
      );
      for (const line of trendTable(trend.rows)) console.log(line);
      const regressed = trend.rows.filter((r) => r.regressed);
      if (regressed.length > 0)
        console.log(`${regressed.length} regressed: ${regressed.map((r) => r.metric).join(', ')}`);
      return regressed.length > 0 ? 1 : 0;
    },
  }),
};
