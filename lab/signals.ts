// The lab workflow's messages: a query for progress, signals that steer its end. Defined here so
// the workflow, the client and tests share them.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LabReport } from './report.js';

export const progressQuery = defineQuery<LabReport>('progress');
/** Stop the tests and tear down now. */
export const teardownNowSignal = defineSignal('teardownNow');
/** Push the TTL out by a duration such as 30m (from now or from the current deadline, whichever is later). */
export const extendTtlSignal = defineSignal<[string]>('extendTtl');
/** The cap of a lab's TTL and of each extension: the lab refuses a longer one. */
export const maxTtlMs = 7 * 24 * 3_600_000;
/** Stay up after the tests, before teardown, until released or the TTL fires. */
export const holdSignal = defineSignal('hold');
export const releaseSignal = defineSignal('release');

export const taskQueue = 'eks-netlab';

/** What `networkLab` returns: the report and where the worker wrote it. */
export interface LabOutcome {
  report: LabReport;
  reportDir?: string;
}

/** The CLI's exit codes. */
export const exitCodes = { passed: 0, failed: 1, invalid: 2, leaked: 3 } as const;

export function exitCodeOf(report: LabReport): number {
  if (report.outcome === 'passed') return exitCodes.passed;
  if (report.outcome === 'teardown-incomplete') return exitCodes.leaked;
  return report.phases.find((p) => p.phase === 'validate')?.status === 'failed' ? exitCodes.invalid : exitCodes.failed;
}
