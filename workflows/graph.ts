// The lab's steps as a dependency graph: each step starts once the steps it needs have finished,
// independent ones at once. Promises and cancellation scopes only, so workflow code may use it.
import { CancellationScope, CancelledFailure } from '@temporalio/workflow';

export interface StepGraph {
  /** Starts `run` once every step in `needs` has finished (undefined: a step the lab skips). */
  step<T>(needs: (Promise<unknown> | undefined)[], run: () => Promise<T>): Promise<T>;
  /** What a running step waits for half-way; a failure there stops the step as cancelled, not failed. */
  need<T>(step: Promise<T>): Promise<T>;
  /** Resolves once every step has settled, then rethrows the first failure. Call it after the last step(). */
  settled(): Promise<void>;
}

/**
 * Every step runs in one cancellation scope. When one fails (or the lab is cancelled), the scope
 * is cancelled: steps not yet started never start, running activities are asked to stop, and
 * settled() waits until each has stopped (creates use WAIT_CANCELLATION_COMPLETED), so the undos
 * never race a create still in flight. Promise.all alone would return at the first failure while
 * the other branches still run.
 */
export function stepGraph(): StepGraph {
  const scope = new CancellationScope();
  const steps: Promise<unknown>[] = [];
  let failure: { error: unknown } | undefined;
  const need = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch {
      // The step that failed is the lab's failure; one that needed it was only stopped.
      throw new CancelledFailure('a step it needs did not finish');
    }
  };
  return {
    step<T>(needs: (Promise<unknown> | undefined)[], run: () => Promise<T>): Promise<T> {
      const started = scope.run(async () => {
        await Promise.all(needs.map((n) => n && need(n)));
        return run();
      });
      steps.push(started);
      // Attached before any dependent waits on this step, so the first failure recorded is the cause.
      started.catch((error: unknown) => {
        if (failure) return;
        failure = { error };
        scope.cancel();
      });
      return started;
    },
    need,
    async settled(): Promise<void> {
      await Promise.allSettled(steps);
      if (failure) throw failure.error;
    },
  };
}
