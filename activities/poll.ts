// Long waits in activities: poll, heartbeat what is awaited (it shows in the Web UI and lets a
// retry resume), and stop when the activity is cancelled. Never a sleep loop in the workflow.
import { Context } from '@temporalio/activity';
import { isTransient } from './errors.js';

export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity, e.g. from a test
  }
}

/** What each running activity last heartbeated: the keep-alive ticks repeat it. */
const lastDetails = new WeakMap<Context, unknown>();

export function heartbeat(detail: unknown): void {
  const ctx = activityContext();
  if (!ctx) return;
  lastDetails.set(ctx, detail);
  ctx.heartbeat(detail);
}

/**
 * Repeats the activity's latest heartbeat every few seconds until stopped, so a call that outlasts
 * the heartbeat timeout (a throttled request backing off) does not get the activity taken for
 * lost and run again beside itself. The SDK sends at most one per 80% of the timeout.
 */
function keepBeating(ctx: Context, everyMs = 5_000): () => void {
  const ticker = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), everyMs);
  return () => clearInterval(ticker);
}

/**
 * Call right before a call that makes something (CreateStack, CreateCluster, …): heartbeats, and
 * throws if the activity has been cancelled, so a cancelled create stops before it makes anything.
 */
export function beforeCreate(what: string): void {
  const ctx = activityContext();
  if (!ctx) return;
  heartbeat({ waitingFor: `about to ${what}` });
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
}

/**
 * Runs a long call (a listing, a batch of deletes, a whole test phase), heartbeating `what`, then
 * whatever the call heartbeats itself (a wait's state), every few seconds meanwhile.
 */
export async function heartbeating<T>(what: string, call: () => Promise<T>): Promise<T> {
  const ctx = activityContext();
  if (!ctx) return call();
  heartbeat({ waitingFor: what });
  const stop = keepBeating(ctx);
  try {
    return await call();
  } finally {
    stop();
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
  heartbeat({ waitingFor: what });
  const stopBeating = ctx && keepBeating(ctx);
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
      heartbeat({ waitingFor: what, state });
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
    stopBeating?.();
    unsubscribe?.();
  }
}
