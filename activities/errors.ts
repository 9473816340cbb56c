// Which failures are worth retrying. Throttling and server errors are retried by Temporal with
// backoff; access denied, quota, invalid input and a rolled-back stack are not: retrying them
// only delays the teardown.
import { ApplicationFailure } from '@temporalio/common';

export const nonRetryableTypes = ['InvalidSpec', 'AccessDenied', 'Quota', 'StackRollback', 'NotSupported'] as const;

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
