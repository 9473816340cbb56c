// Activity options shared by every workflow: one retry policy, one list of non-retryable types.
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { nonRetryableErrorTypes } from '../lab/failure-types.js';

export const retry: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: [...nonRetryableErrorTypes],
};

/** Short calls that do not wait on anything (validation, the report). */
export const quick: ActivityOptions = { startToCloseTimeout: '5m', retry: { ...retry, maximumAttempts: 5 } };

/** Activities that wait on AWS heartbeat while they do; a lost worker is noticed within a minute. */
export const waiting: ActivityOptions = {
  startToCloseTimeout: '90m',
  heartbeatTimeout: '1m',
  retry: { ...retry, maximumAttempts: 5 },
};

/**
 * Activities that make things: a cancelled one is waited for until it has stopped, so the undo
 * that follows never runs before a create it should undo (TRY_CANCEL would start it at once).
 */
export const creating: ActivityOptions = {
  ...waiting,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * Undos must finish: they ride out throttling and outages for hours at a bounded interval, and
 * give up only on a non-retryable failure or after the schedule-to-close time.
 */
export const undoing: ActivityOptions = {
  startToCloseTimeout: '90m',
  heartbeatTimeout: '1m',
  scheduleToCloseTimeout: '12h',
  retry: { ...retry, maximumInterval: '2m' },
};

/** The innermost message of an activity or workflow failure. */
export const message = (err: unknown): string => {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? String(err);
};
