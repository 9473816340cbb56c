// Long waits in activities: poll, heartbeat what is awaited (it shows in the Web UI and lets a
// retry resume), and stop when the activity is cancelled. Never a sleep loop in the workflow.
import { Context } from '@temporalio/activity';
import { formatSeconds } from '../lab/duration.js';
import { isTransient } from './errors.js';

export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity, e.g. from a test
  }
}

export function heartbeat(detail: unknown): void {
  activityContext()?.heartbeat(detail);
}

/**
 * Call right before a call that makes something (CreateStack, CreateCluster, …): heartbeats, and
 * throws if the activity has been cancelled, so a cancelled create stops before it makes anything.
 */
export function beforeCreate(what: string): void {
  const ctx = activityContext();
  if (!ctx) return;
  ctx.heartbeat({ waitingFor: `about to ${what}` });
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
}

/** Runs one long call (a listing, a batch of deletes), heartbeating `what` every few seconds meanwhile. */
export async function heartbeating<T>(what: string, call: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return call();
  const started = Date.now();
  const beat = (): void => ctx.heartbeat({ waitingFor: what, state: formatSeconds(Date.now() - started, 0) });
  beat();
  const ticker = setInterval(beat, everyMs);
  try {
    return await call();
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The pause between polls of an AWS describe call, given how long the wait has lasted: a tenth of
 * it, at least half a second and at most ten. A state that comes about after t seconds is noticed
 * within max(0.5 s, t / 10), so polling adds at most about a tenth to any wait, and a 15-minute
 * EKS cluster create costs about 120 DescribeCluster calls (1,800 at a steady 500 ms). AWS
 * throttles each API per account and region with a token bucket every caller shares (EC2 API
 * reference, "Request throttling for the Amazon EC2 API"; EKS, ELBv2 and CloudFormation answer
 * Throttling alike), and the SDKs' own waiters poll every 15–30 s (e.g. EKS's ClusterActive, 30 s).
 */
export const awsPolling = (waitedMs: number): number => Math.min(10_000, Math.max(500, waitedMs / 10));

/** How often a wait heartbeats while one check runs (the SDK sends at most one per 80% of the timeout). */
const checkHeartbeatMs = 5_000;

/** After a change, how long a wait lets more arrive before it checks: a burst costs one check. */
const settleMs = 100;

/** Subscribes to changes of what a wait waits for (a Kubernetes watch); returns how to unsubscribe. */
export type Changes = (changed: () => void) => () => void;

/**
 * Polls `check` until it returns a value; heartbeats `describe()` meanwhile. A transient failure of
 * `check` (throttling, a server error, a dropped connection) is ridden out until the deadline;
 * any other failure ends the wait. `intervalMs` is the pause between checks, or a function of the
 * time waited so far (`awsPolling`); with `changes`, a change checks again at once, the pause then
 * only a fallback for a watch that is down.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: {
    timeoutMs: number;
    intervalMs?: number | ((waitedMs: number) => number);
    describe?: () => string;
    changes?: Changes;
  },
): Promise<T> {
  const ctx = activityContext();
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let lastError: unknown;
  // A change seen while a check runs is not lost: the next pause ends at once.
  let changed = false;
  let wake = (): void => undefined;
  const unsubscribe = opts.changes?.(() => {
    changed = true;
    wake();
  });
  // Repeated while a check runs too: a throttled call backing off can outlast the heartbeat timeout.
  let beat: { waitingFor: string; state?: string } = { waitingFor: what };
  const ticker = ctx ? setInterval(() => heartbeat(beat), checkHeartbeatMs) : undefined;
  try {
    for (;;) {
      changed = false;
      try {
        const value = await check();
        if (value !== undefined) return value;
        lastError = undefined;
      } catch (err) {
        if (!isTransient(err)) throw err;
        lastError = err;
      }
      if (Date.now() > deadline) {
        const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
        throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}${why}`);
      }
      const state = lastError ? `retrying after ${(lastError as Error).name}` : opts.describe?.();
      beat = { waitingFor: what, state };
      heartbeat(beat);
      const interval =
        typeof opts.intervalMs === 'function' ? opts.intervalMs(Date.now() - started) : (opts.intervalMs ?? 1000);
      let timer: NodeJS.Timeout | undefined;
      const pause = new Promise<void>((r) => {
        timer = setTimeout(r, changed && !lastError ? settleMs : interval);
        // The first change cuts the pause short; later ones in the same pause do not postpone it.
        wake = () => {
          wake = () => undefined;
          clearTimeout(timer);
          timer = setTimeout(r, settleMs);
        };
      });
      await (ctx ? Promise.race([pause, ctx.cancelled]) : pause);
      clearTimeout(timer);
      wake = () => undefined;
    }
  } finally {
    clearInterval(ticker);
    unsubscribe?.();
  }
}
