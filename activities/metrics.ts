// The lab's own Prometheus metrics, served with the SDK's on the worker's metrics port
// (worker/runtime.ts). Counted in activities from what the lab reports, never in workflow code,
// which must stay free of side effects; nothing when called outside an activity (a test calling
// one directly). docs/worker.md describes each.
import type { LabReport } from '../lab/report.js';
import { activityContext } from './poll.js';

const teardownSeconds = 'netlab_lab_teardown_seconds';

/** Teardowns take seconds on the sandbox and up to half an hour on AWS; the SDK's buckets stop at 10 s. */
export const labMetricBuckets: Record<string, number[]> = {
  [teardownSeconds]: [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600],
};

/** A lab's validation began (its first attempt: a retried validation is the same lab). */
export function recordLabStarted(target: LabReport['target']): void {
  const context = activityContext();
  if (!context || context.info.attempt > 1) return;
  context.metricMeter.createCounter('netlab_labs_started', undefined, 'Labs started').add(1, { target });
}

/** Counts a lab that ended from its final report; the report written before teardown counts nothing. */
export function recordLabEnded(report: LabReport): void {
  const context = activityContext();
  if (!context || report.outcome === 'running') return;
  const meter = context.metricMeter.withTags({ target: report.target });
  const failedPhase = report.phases.find((p) => p.status === 'failed')?.phase ?? 'none';
  meter
    .createCounter('netlab_labs_finished', undefined, 'Labs ended, by outcome and the first phase that failed')
    .add(1, { outcome: report.outcome, failed_phase: failedPhase });
  const phases = meter.createCounter('netlab_lab_phases', undefined, "Labs' phases, by phase and how each ended");
  for (const p of report.phases) phases.add(1, { phase: p.phase, status: p.status });
  const teardown = report.phases.find((p) => p.phase === 'teardown');
  if (teardown?.durationMs !== undefined)
    meter
      .createHistogram(teardownSeconds, 'float', undefined, 'Time each lab took to tear down')
      .record(teardown.durationMs / 1000);
  const leftovers = meter.createCounter(
    'netlab_lab_leftovers',
    undefined,
    'Resources the leak check found left after a teardown, by kind',
  );
  for (const l of report.leftovers ?? []) leftovers.add(1, { kind: l.kind });
}
