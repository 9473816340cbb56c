// Which failures are worth retrying. Throttling and server errors are retried by Temporal with
// backoff; access denied, quota, invalid input and a rolled-back stack are not: retrying them
// only delays the teardown.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

const accessDenied = /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthFailure|Forbidden/i;
const quota = /LimitExceeded|QuotaExceeded|TooMany(?!Requests)|InsufficientCapacity/i;

/** Rethrows an AWS or Kubernetes error as a typed failure when retrying cannot help. */
export function classify(err: unknown, doing: string): never {
  if (err instanceof ApplicationFailure) throw err;
  const e = err as { name?: string; message?: string; code?: number; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = `${doing}: ${name}: ${e.message ?? String(err)}`;
  if (accessDenied.test(name) || e.code === 403) throw ApplicationFailure.nonRetryable(message, 'AccessDenied');
  if (quota.test(name)) throw ApplicationFailure.nonRetryable(message, 'Quota');
  throw ApplicationFailure.retryable(message, name);
}

const transientName =
  /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|InternalError|InternalFailure|ServiceUnavailable|Unavailable|TimeoutError|RequestTimeout|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up/i;

/**
 * Whether a failed call is worth repeating as it is: throttling, a server error, a dropped
 * connection. Not a typed non-retryable failure, a cancellation, or a client error (4xx).
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof CancelledFailure) return false;
  if (err instanceof ApplicationFailure && err.nonRetryable) return false;
  const e = err as {
    name?: string;
    type?: string | null;
    code?: number | string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ?? (typeof e.code === 'number' ? e.code : undefined);
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  return [e.name, e.type, e.code, e.cause?.code].some((v) => typeof v === 'string' && transientName.test(v));
}

/** Runs an AWS or Kubernetes call, classifying its failure. */
export async function attempt<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    classify(err, doing);
  }
}

export const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; code?: number; Code?: string; message?: string };
  return (
    e.code === 404 ||
    /NotFound|NoSuch|does not exist/i.test(e.name ?? '') ||
    /NotFound|NoSuch/i.test(e.Code ?? '') ||
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
