// Where the lab runs: endpoints, credentials and tools the activities use. The sandbox and AWS
// differ only here; the worker builds it (worker/config.ts), and every activity builds its
// clients from it, never from workflow input.
import type { LabTarget } from '../lab/targets.js';

export interface Target {
  kind: LabTarget;
  region: string;
  /** One endpoint for every AWS API (the sandbox gateway); AWS's own endpoints when absent. */
  awsEndpoint?: string;
  /** Fixed credentials (the sandbox's placeholders); the SDK's default credential chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A DNS server to ask instead of the system resolver (the sandbox's Route53 emulation). */
  dnsServer?: string;
  /** The base URL a load balancer hostname is reached on from here: the sandbox's front, or the LB itself. */
  loadBalancerHttp: (hostname: string) => string;
  /** The helm binary the worker runs. */
  helmBinary: string;
  /**
   * Where the worker installs the load balancer controller's chart from, when not the spec's
   * (`eks/aws-load-balancer-controller`): the sandbox's stand-in chart, on the worker's machine.
   */
  lbControllerChart?: string;
  /** The Temporal Web UI the worker's Temporal shows labs in, which reports link to. */
  webUi: string;
}

/**
 * Options for any AWS SDK v3 client: region, endpoint and credentials of the target. The SDK
 * retries throttling and server errors itself (adaptive mode also slows the client down when it
 * is throttled), a few times, before the activity's own retries take over.
 */
export function awsClientOptions(target: Target): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  retryMode: 'adaptive';
} {
  const { region, awsEndpoint, credentials } = target;
  // Absent, not undefined: the SDK then falls back to AWS_ENDPOINT_URL and the default chain.
  return {
    region,
    ...(awsEndpoint && { endpoint: awsEndpoint }),
    ...(credentials && { credentials }),
    maxAttempts: 5,
    retryMode: 'adaptive',
  };
}
