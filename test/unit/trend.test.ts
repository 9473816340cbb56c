import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeReport } from '../../activities/report.js';
import { runCli } from '../../client/cli.js';
import { trendCommands } from '../../client/trend.js';
import type { LabReport } from '../../lab/report.js';
import { compareLabs, median } from '../../lab/trend.js';
import fixture from '../fixtures/report.json' with { type: 'json' };

const base = fixture as LabReport;

/** The fixture as the lab of day `day`, with numbers scaled: deploy time, iperf3 tcp, … */
function lab(
  day: number,
  { deploy = 1, tcp = 1, ready = 1, jitter = 0, outcome = 'passed' as LabReport['outcome'] } = {},
): LabReport {
  const r = structuredClone(base);
  r.labId = `lab-day-${day}`;
  r.startedAt = new Date(Date.UTC(2026, 10, day, 3)).toISOString();
  r.outcome = outcome;
  // Small day-to-day noise so the baseline is a real median.
  const noise = 1 + jitter;
  for (const p of r.phases) if (p.durationMs !== undefined) p.durationMs *= noise * (p.phase === 'deploy' ? deploy : 1);
  const q = r.density!.readyLatencyMs;
  Object.assign(q, { p50: q.p50 * ready * noise, p90: q.p90 * ready * noise, p99: q.p99 * ready * noise });
  for (const t of r.iperf3!.tests) t.gbps *= (t.name === 'tcp' ? tcp : 1) / noise;
  r.dns!.resolvedMs *= noise;
  return r;
}

const history = [lab(20, { jitter: 0.05 }), lab(21, { jitter: -0.05 }), lab(22), lab(23, { jitter: 0.1 })];

test('a normal run is not flagged', () => {
  const trend = compareLabs([...history, lab(24, { jitter: 0.08 })]);
  assert.equal(trend.latest?.labId, 'lab-day-24');
  assert.equal(trend.baselineRuns, 4);
  assert.deepEqual(
    trend.rows.filter((r) => r.regressed),
    [],
  );
  const deploy = trend.rows.find((r) => r.metric === 'phase deploy')!;
  assert.equal(deploy.baseline, median(history.map((r) => r.phases.find((p) => p.phase === 'deploy')!.durationMs!)));
  assert.ok(trend.rows.some((r) => r.metric === 'pod ready p99'));
  assert.ok(trend.rows.some((r) => r.metric === 'dns resolved'));
});

test('a 3x slower deploy and halved iperf3 tcp are flagged; failed labs are ignored', () => {
  // Reports arrive in any order; a later failed lab is not the one compared.
  const failedLater = lab(26, { deploy: 10, outcome: 'failed' });
  const trend = compareLabs([failedLater, lab(25, { deploy: 3, tcp: 0.5 }), ...history.reverse()]);
  assert.equal(trend.latest?.labId, 'lab-day-25');
  const flagged = trend.rows.filter((r) => r.regressed).map((r) => r.metric);
  assert.deepEqual(flagged.sort(), ['iperf3 tcp', 'phase deploy']);
  const tcp = trend.rows.find((r) => r.metric === 'iperf3 tcp')!;
  assert.ok(tcp.changePercent! < -45 && tcp.changePercent! > -55, `tcp change ${tcp.changePercent}`);
  // Faster is never a regression, and the threshold decides.
  assert.deepEqual(
    compareLabs([...history, lab(27, { deploy: 0.3, tcp: 2 })]).rows.filter((r) => r.regressed),
    [],
  );
  assert.equal(compareLabs([...history, lab(28, { deploy: 3 })], 250).rows.filter((r) => r.regressed).length, 0);
});

test('no baseline, no flag', () => {
  const trend = compareLabs([lab(24, { deploy: 3 })]);
  assert.equal(trend.baselineRuns, 0);
  assert.ok(trend.rows.length > 0 && trend.rows.every((r) => !r.regressed && r.baseline === undefined));
});

test('trend reads the report folders and exits 1 on a regression', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-trend-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const write = async (r: LabReport): Promise<void> => {
    await mkdir(join(dir, r.labId));
    await writeFile(join(dir, r.labId, 'report.json'), JSON.stringify(r));
  };
  for (const r of history) await write(r);
  await mkdir(join(dir, 'still-running'));
  // trend reads files only: it never asks for Temporal.
  const noTemporal = () => assert.fail('trend connected to Temporal');
  const run = (): Promise<number> => runCli('lab trend', trendCommands.trend!, ['--dir', dir], noTemporal);
  t.mock.method(console, 'log', () => undefined);
  assert.equal(await run(), 0);
  await write(lab(25, { ready: 2 }));
  assert.equal(await run(), 1);
});

test('trend finds by default the report a worker wrote, whatever folder the worker was started in', async (t) => {
  const elsewhere = await mkdtemp(join(tmpdir(), 'netlab-worker-cwd-'));
  const started = process.cwd();
  process.chdir(elsewhere);
  t.after(async () => {
    process.chdir(started);
    await rm(elsewhere, { recursive: true, force: true });
  });
  const report = { ...lab(29), labId: `lab-cwd-${process.pid}`, startedAt: new Date().toISOString() };
  const { dir } = await writeReport(report);
  t.after(() => rm(dir, { recursive: true, force: true }));
  const printed: string[] = [];
  t.mock.method(console, 'log', (line: string) => void printed.push(line));
  const noTemporal = () => assert.fail('trend connected to Temporal');
  // 0 or 1 (a regression against whatever else is in the folder): either way it read the report.
  assert.notEqual(await runCli('lab trend', trendCommands.trend!, [], noTemporal), 2);
  assert.match(printed[0] ?? '', new RegExp(`^${report.labId} `), printed.join('\n'));
});
