// Where the lab runs: the worker's configuration of endpoints and credentials. The sandbox and
// AWS differ only here; every activity builds its clients from this, never from workflow input.
import type { LabTarget } from '../lab/targets.js';
import { endpoints, ports, sandboxCredentials, sandboxRegion } from '../sandbox/config.js';
import { toolPaths } from '../sandbox/tools.js';

export interface Target {
  kind: LabTarget;
  region: string;
  /** One endpoint for every AWS API (the sandbox gateway); AWS's own endpoints when absent. */
  awsEndpoint?: string;
  /** A DNS server to ask instead of the system resolver (the sandbox's Route53 emulation). */
  dnsServer?: string;
  /** The base URL a load balancer hostname is reached on from here: the sandbox's front, or the LB itself. */
  loadBalancerHttp: (hostname: string) => string;
  /** The helm binary the worker runs. */
  helmBinary: string;
}

export function sandboxTarget(region = sandboxRegion): Target {
  return {
    kind: 'sandbox',
    region,
    awsEndpoint: endpoints.gateway,
    dnsServer: endpoints.dns,
    loadBalancerHttp: (hostname) => `http://${hostname}:${ports.lbFront}`,
    helmBinary: toolPaths.helm,
  };
}

export function awsTarget(region: string): Target {
  return {
    kind: 'aws',
    region,
    loadBalancerHttp: (hostname) => `http://${hostname}`,
    helmBinary: process.env.NETLAB_HELM ?? 'helm',
  };
}

/**
 * Options for any AWS SDK v3 client: region and endpoint; credentials from the default chain on
 * AWS. The SDK retries throttling and server errors itself (adaptive mode also slows the client
 * down when it is throttled), a few times, before the activity's own retries take over.
 */
export function awsClientOptions(target: Target): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  retryMode: 'adaptive';
} {
  const retries = { maxAttempts: 5, retryMode: 'adaptive' } as const;
  return target.kind === 'sandbox'
    ? { region: target.region, endpoint: target.awsEndpoint, credentials: sandboxCredentials, ...retries }
    : { region: target.region, ...retries };
}
