// Where the lab runs: the worker's configuration of endpoints and credentials. The sandbox and
// AWS differ only here; every activity builds its clients from this, never from workflow input.
import { endpoints, ports, sandboxCredentials, sandboxRegion } from '../sandbox/config.js';

export interface Target {
  kind: 'sandbox' | 'aws';
  region: string;
  /** One endpoint for every AWS API (the sandbox gateway); AWS's own endpoints when absent. */
  awsEndpoint?: string;
  /** A DNS server to ask instead of the system resolver (the sandbox's Route53 emulation). */
  dnsServer?: string;
  /** The port load balancers answer HTTP on. */
  loadBalancerPort: number;
  /** The port load balancer hostnames are reached on from here: the sandbox's front, or the LB's own. */
  loadBalancerHttp: (hostname: string) => string;
}

export function sandboxTarget(region = sandboxRegion): Target {
  return {
    kind: 'sandbox',
    region,
    awsEndpoint: endpoints.gateway,
    dnsServer: endpoints.dns,
    loadBalancerPort: 80,
    loadBalancerHttp: (hostname) => `http://${hostname}:${ports.lbFront}`,
  };
}

export function awsTarget(region: string): Target {
  return { kind: 'aws', region, loadBalancerPort: 80, loadBalancerHttp: (hostname) => `http://${hostname}` };
}

/** Options for any AWS SDK v3 client: region and endpoint; credentials from the default chain on AWS. */
export function awsClientOptions(target: Target): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  return target.kind === 'sandbox'
    ? { region: target.region, endpoint: target.awsEndpoint, credentials: sandboxCredentials, maxAttempts: 1 }
    : { region: target.region, maxAttempts: 1 };
}
