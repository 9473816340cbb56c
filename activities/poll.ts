// Long waits in activities: poll, heartbeat what is awaited (it shows in the Web UI and lets a
// retry resume), and stop when the activity is cancelled. Never a sleep loop in the workflow.
import { Context } from '@temporalio/activity';

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity, e.g. from a test
  }
}

export function heartbeat(detail: unknown): void {
  activityContext()?.heartbeat(detail);
}

/** Polls `check` until it returns a value; heartbeats `describe()` meanwhile. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const ctx = activityContext();
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}`);
    heartbeat({ waitingFor: what, state: opts.describe?.() });
    const pause = new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    await (ctx ? Promise.race([pause, ctx.cancelled]) : pause);
  }
}
