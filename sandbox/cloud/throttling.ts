// Request throttling as EC2 does it ("Request throttling for the Amazon EC2 API": request rate
// limiting, a token bucket per account and per API, its size and refill rate set by the API's
// category, mutating or non-mutating), and ELBv2 the same way. A request
// that finds its bucket empty fails with the service's own throttling error, which the AWS SDK
// retries. Off unless configured (env NETLAB_THROTTLING or PUT /_netlab/throttling), so tests
// choose the rates they exercise; the fault injector's `rate` mode is separate and stays.
import { z } from 'zod';
import { awsError, type AwsCall } from './protocol.js';
import type { GatewayResponse } from './http.js';

const bucketSchema = z.object({
  /** Tokens the bucket holds when full: the burst a caller may spend at once. */
  capacity: z.number().positive(),
  /** Tokens added back each second. */
  refillPerSecond: z.number().nonnegative(),
});
export type BucketSpec = z.infer<typeof bucketSchema>;

/** Bucket size and refill per service (SigV4 name) and API category; a missing entry is not throttled. */
export const throttlingSchema = z.object({
  ec2: z.object({ mutating: bucketSchema.optional(), nonMutating: bucketSchema.optional() }).default({}),
  elasticloadbalancing: z
    .object({ mutating: bucketSchema.optional(), nonMutating: bucketSchema.optional() })
    .default({}),
});
export type ThrottlingConfig = z.infer<typeof throttlingSchema>;

/** Each service's throttling error and HTTP status (EC2: RequestLimitExceeded 503; ELBv2: Throttling 400). */
const throttledWith: Record<keyof ThrottlingConfig, [string, number, string]> = {
  ec2: ['RequestLimitExceeded', 503, 'Request limit exceeded.'],
  elasticloadbalancing: ['Throttling', 400, 'Rate exceeded'],
};

// "Non-mutating actions: Describe*, List*, Search*, and Get*" (EC2 API reference, Request throttling).
const kindOf = (operation: string): 'mutating' | 'nonMutating' =>
  /^(Describe|List|Search|Get)/.test(operation) ? 'nonMutating' : 'mutating';

/** The account's access key, from the SigV4 credential scope: buckets are per account. */
const accountOf = (authorization: string | undefined): string =>
  /Credential=([^/]+)\//.exec(authorization ?? '')?.[1] ?? 'anonymous';

interface Bucket {
  tokens: number;
  at: number;
}

export class Throttler {
  private config: ThrottlingConfig;
  private readonly buckets = new Map<string, Bucket>();

  constructor(initial: string | undefined = process.env.NETLAB_THROTTLING) {
    this.config = throttlingSchema.parse(initial ? JSON.parse(initial) : {});
  }

  get current(): ThrottlingConfig {
    return this.config;
  }

  set(config: ThrottlingConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  /** The throttling error for this call when its bucket is empty; otherwise spends a token. */
  check(call: AwsCall, authorization: string | undefined): GatewayResponse | undefined {
    if (!(call.service in this.config)) return undefined;
    const service = call.service as keyof ThrottlingConfig;
    const kind = kindOf(call.operation);
    const spec = this.config[service][kind];
    if (!spec) return undefined;
    const key = `${accountOf(authorization)} ${service} ${call.operation}`;
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: spec.capacity, at: now };
    bucket.tokens = Math.min(spec.capacity, bucket.tokens + ((now - bucket.at) / 1000) * spec.refillPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const [code, status, message] = throttledWith[service];
    return awsError(call.service, code, message, status);
  }
}
