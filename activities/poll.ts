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
 * Polls `check` until it returns a value; heartbeats `describe()` meanwhile. A transient failure of
 * `check` (throttling, a server error, a dropped connection) is ridden out until the deadline;
 * any other failure ends the wait.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const ctx = activityContext();
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
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
    const pause = new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    await (ctx ? Promise.race([pause, ctx.cancelled]) : pause);
  }
}
