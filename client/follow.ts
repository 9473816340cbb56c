// Following a running lab: poll its progress query and print each phase as it starts and ends,
// then a short summary with the key figures, and end with the lab's exit code.
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { formatSeconds } from '../lab/duration.js';
import { phaseTitles } from '../lab/phases.js';
import type { LabReport } from '../lab/report.js';
import { exitCodeOf, exitCodes, progressQuery, type LabOutcome } from '../lab/signals.js';
import { UsageError } from './cli.js';
import { withFlagNames } from './options.js';

/** What each running activity is waiting for, from its last heartbeat ("nodes Ready 2/3"); phases overlap. */
export async function currentWait(handle: WorkflowHandle): Promise<string | undefined> {
  const { raw } = await handle.describe();
  const waits = (raw.pendingActivities ?? []).map((pending) => {
    const name = pending.activityType?.name ?? 'activity';
    const payload = pending.heartbeatDetails?.payloads?.[0]?.data;
    if (!payload) return name;
    const detail = JSON.parse(Buffer.from(payload).toString()) as { waitingFor?: string; state?: string };
    return `${name}: ${detail.state ?? detail.waitingFor ?? ''}`;
  });
  return waits.length ? waits.join(' · ') : undefined;
}

const took = (ms?: number): string => (ms === undefined ? '' : ` in ${formatSeconds(ms)}`);

export function summary(r: LabReport): string[] {
  const lines = [`lab ${r.labId}: ${r.outcome}${r.error ? ` (${r.error})` : ''}`];
  if (r.density) {
    const d = r.density;
    lines.push(
      `  pod density: ${d.instanceType} max ${d.expectedMaxPodsPerNode} pods/node, free capacity ${d.expectedFreeCapacity}; ${d.replicas} replicas → ${d.running} Running, ${d.pending} Pending (${Object.keys(d.pendingReasons).join(', ') || 'none'})`,
    );
  }
  if (r.nlb)
    lines.push(
      `  NLB: ${r.nlb.requests} requests over ${Object.keys(r.nlb.perPod).length} pods: ${Object.values(r.nlb.perPod).join('/')}`,
    );
  if (r.ingress) lines.push(`  ALB: HTTP ${r.ingress.httpStatus}`);
  if (r.dns)
    lines.push(
      `  DNS: ${r.dns.recordName} in Route53 after ${formatSeconds(r.dns.recordCreatedMs)}, resolves after ${formatSeconds(r.dns.resolvedMs)}`,
    );
  if (r.iperf3)
    lines.push(`  iperf3: ${r.iperf3.tests.map((t) => `${t.name} ${t.gbps.toFixed(2)} Gbit/s`).join(', ')}`);
  if (r.leftovers)
    lines.push(
      `  leak check: ${r.leftovers.length === 0 ? 'nothing left' : `${r.leftovers.length} left: ${r.leftovers.map((l) => `${l.kind} ${l.id}`).join(', ')}`}`,
    );
  return lines;
}

/** The outcome a failed lab's workflow failure carries in its details (see networkLab). */
export function outcomeOfFailure(err: unknown): LabOutcome | undefined {
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const outcome = err.cause.details?.[0] as Partial<LabOutcome> | undefined;
  return outcome?.report ? (outcome as LabOutcome) : undefined;
}

/**
 * The lab's outcome when it has ended: the workflow's result when the lab passed, the details of
 * its failure when it did not. Rejects when the workflow ended without one (terminated, timed out).
 */
export async function labOutcome(handle: WorkflowHandle): Promise<LabOutcome> {
  try {
    return (await handle.result()) as LabOutcome;
  } catch (err) {
    const outcome = outcomeOfFailure(err);
    if (outcome) return outcome;
    throw err;
  }
}

export async function followLab(
  handle: WorkflowHandle,
  progress: () => Promise<LabReport>,
  currentWait?: () => Promise<string | undefined>,
): Promise<LabOutcome> {
  const seen = new Map<string, string>();
  const printChanges = (r: LabReport): void => {
    for (const p of r.phases) {
      if (seen.get(p.phase) === p.status) continue;
      seen.set(p.phase, p.status);
      if (p.status === 'pending') continue;
      console.log(
        `${new Date().toISOString().slice(11, 19)}  ${p.status.padEnd(9)} ${phaseTitles[p.phase]}${took(p.durationMs)}${p.error ? `: ${p.error}` : ''}`,
      );
    }
  };
  const result = labOutcome(handle);
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  // On a terminal the current wait ("nodes Ready 2/3") stays on one updating line; in a log,
  // each new wait is a line of its own.
  const tty = process.stdout.isTTY;
  let lastWait = '';
  const showWait = (wait?: string): void => {
    if (!wait || wait === lastWait) return;
    lastWait = wait;
    if (tty) process.stdout.write(`\r\x1b[2K          … ${wait.slice(0, (process.stdout.columns ?? 100) - 12)}`);
    else console.log(`          … ${wait}`);
  };
  while (!done) {
    await progress().then(
      (r) => {
        if (tty && lastWait) {
          // Clear the wait line so phase lines print above it; it is drawn again below.
          process.stdout.write('\r\x1b[2K');
          lastWait = '';
        }
        printChanges(r);
      },
      () => undefined,
    );
    if (currentWait) await currentWait().then(showWait, () => undefined);
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  if (tty && lastWait) process.stdout.write('\r\x1b[2K');
  const outcome = await result;
  printChanges(outcome.report);
  for (const line of summary(outcome.report)) console.log(line);
  return outcome;
}

/**
 * Follows a lab to its end, as `start-lab` and `lab watch` both do, and returns their exit code:
 * 0 passed, 1 failed and torn down, 2 invalid (refused at validation, or no such lab), 3 ended
 * without a teardown or with one incomplete.
 */
export async function followToExit(handle: WorkflowHandle): Promise<number> {
  const labId = handle.workflowId;
  let outcome;
  try {
    outcome = await followLab(
      handle,
      () => handle.query(progressQuery),
      () => currentWait(handle),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new UsageError(`no lab ${labId}: \`npm run lab -- list\` shows the labs`);
    // Terminated or timed out: no teardown ran, so what the lab made may be left.
    console.error(`lab ${labId} ended without an outcome: ${(err as Error).message}`);
    console.error('what it made may be left: `npm run lab -- sweep` deletes it');
    return exitCodes.leaked;
  }
  if (outcome.reportDir) console.log(`report: ${outcome.reportDir}/report.html (and report.md, report.json)`);
  const code = exitCodeOf(outcome.report);
  // Refused at validation by the worker's look-ups (region, instance type, version, domain): say
  // which flag to fix, as the client's own checks do.
  if (code === exitCodes.invalid && outcome.report.error)
    console.error(`The lab was not started: ${withFlagNames(outcome.report.error)}`);
  return code;
}
