// One classifier for every failed AWS or Kubernetes call. Throttling, server errors and dropped
// connections are transient: the SDK retries them a few times, then Temporal with backoff.
// Access denied and quotas are final: retrying them only delays the teardown. Whether a thing
// is missing is a question of its own (isNotFound), for undos and look-ups that take it as done.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { NonRetryableErrorType } from '../lab/failure-types.js';

export type FailureKind = 'transient' | 'accessDenied' | 'quota' | 'other';

// The codes the AWS SDK retries as throttling or transient (@smithy/core's retry classification),
// Route53's PriorRequestNotComplete among them, and Node's dropped connections.
const transient =
  /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|PriorRequestNotComplete|BandwidthLimitExceeded|ProvisionedThroughputExceeded|InternalError|InternalFailure|Unavailable|TimeoutError|RequestTimeout|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up/i;
const accessDenied = /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthFailure|Forbidden/i;
const quota = /LimitExceeded|QuotaExceeded|TooMany|Insufficient\w*Capacity/i;

interface ErrorShape {
  name?: string;
  /** An ApplicationFailure's type. */
  type?: string | null;
  /** Kubernetes: the HTTP status; Node: the system error code. */
  code?: number | string;
  /** AWS query protocols (EC2, IAM, CloudFormation) also carry the error code here. */
  Code?: string;
  message?: string;
  cause?: { code?: string };
  $metadata?: { httpStatusCode?: number };
  /** Set by the SDK on errors its model marks retryable. */
  $retryable?: { throttling?: boolean };
}

const codesOf = (e: ErrorShape): string[] =>
  [e.name, e.type, e.Code, e.code, e.cause?.code].filter((v): v is string => typeof v === 'string');
const statusOf = (e: ErrorShape): number | undefined =>
  e.$metadata?.httpStatusCode ?? (typeof e.code === 'number' ? e.code : undefined);

/** What a failed call means for retrying it, from the shapes AWS SDK v3, Kubernetes and Node errors take. */
export function failureKind(err: unknown): FailureKind {
  const e = (err ?? {}) as ErrorShape;
  const codes = codesOf(e);
  const status = statusOf(e);
  const named = (pattern: RegExp): boolean => codes.some((c) => pattern.test(c));
  // The code before the status: EC2 answers InsufficientInstanceCapacity with a 500. Transient
  // before quota: EC2's throttling code, RequestLimitExceeded, reads like one.
  if (e.$retryable || named(transient)) return 'transient';
  if (named(accessDenied)) return 'accessDenied';
  if (named(quota)) return 'quota';
  if (status === 429 || (status ?? 0) >= 500) return 'transient';
  if (status === 403) return 'accessDenied';
  return 'other';
}

/** A failure retrying cannot help, of a type the workflows' retry policy lists as well. */
export const nonRetryableFailure = (message: string, type: NonRetryableErrorType): ApplicationFailure =>
  ApplicationFailure.nonRetryable(message, type);

/** Rethrows an AWS or Kubernetes error as a failure Temporal retries, or not when retrying cannot help. */
export function classify(err: unknown, doing: string): never {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
  const e = (err ?? {}) as ErrorShape;
  const name = e.name ?? 'Error';
  const message = `${doing}: ${name}: ${e.message ?? String(err)}`;
  const kind = failureKind(err);
  if (kind === 'accessDenied') throw nonRetryableFailure(message, 'AccessDenied');
  if (kind === 'quota') throw nonRetryableFailure(message, 'Quota');
  throw ApplicationFailure.retryable(message, name);
}

/**
 * Whether a failed call is worth repeating as it is: throttling, a server error, a dropped
 * connection. Not a typed non-retryable failure, a cancellation, or a client error (4xx).
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof CancelledFailure || (err instanceof ApplicationFailure && err.nonRetryable)) return false;
  return failureKind(err) === 'transient';
}

/** Runs an AWS or Kubernetes call; its failure is rethrown classified (see classify). */
export async function classifying<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    classify(err, doing);
  }
}

/**
 * The service says the thing does not exist: an AWS NotFound or NoSuch code, CloudFormation's
 * "does not exist", Kubernetes' 404. Not Node's ENOTFOUND (a host that does not resolve), and not
 * any HTTP 404 from AWS: an endpoint without the operation would read as "nothing left".
 */
export const isNotFound = (err: unknown): boolean => {
  const e = (err ?? {}) as ErrorShape;
  return (
    e.code === 404 ||
    [e.name, e.Code].some((c) => c !== undefined && /NotFound|NoSuch/i.test(c)) ||
    /does not exist|not found/i.test(e.message ?? '')
  );
};

/** Resolves to undefined when the service says the thing does not exist. */
export async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
