// The targets the worker's activities act on, and which one from the environment:
// NETLAB_TARGET=sandbox|aws, with AWS credentials from the default chain. The sandbox's
// endpoints, placeholder credentials and tools are read here and nowhere in the activities.
// (Where Temporal is: activities/temporal.ts.)
import { join } from 'node:path';
import type { Target } from '../activities/target.js';
import { projectRoot } from '../lab/local.js';
import { endpoints, ports, sandboxCredentials, sandboxRegion } from '../sandbox/config.js';
import { toolPaths } from '../sandbox/tools.js';

export function sandboxTarget(region = sandboxRegion): Target {
  return {
    kind: 'sandbox',
    region,
    awsEndpoint: endpoints.gateway,
    credentials: sandboxCredentials,
    dnsServer: endpoints.dns,
    loadBalancerHttp: (hostname) => `http://${hostname}:${ports.lbFront}`,
    helmBinary: toolPaths.helm,
    lbControllerChart: join(projectRoot, 'sandbox', 'charts', 'aws-load-balancer-controller'),
    webUi: process.env.TEMPORAL_UI_URL ?? endpoints.temporalUi,
  };
}

export function awsTarget(region: string, env = process.env): Target {
  return {
    kind: 'aws',
    region,
    loadBalancerHttp: (hostname) => `http://${hostname}`,
    helmBinary: env.NETLAB_HELM ?? 'helm',
    // Temporal Cloud's, unless TEMPORAL_UI_URL names a self-hosted one.
    webUi: env.TEMPORAL_UI_URL ?? 'https://cloud.temporal.io',
  };
}

export function targetFromEnv(env = process.env): Target {
  const kind = env.NETLAB_TARGET ?? 'sandbox';
  if (kind === 'aws') return awsTarget(env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'ap-northeast-2', env);
  if (kind === 'sandbox') return sandboxTarget();
  throw new Error(`NETLAB_TARGET must be sandbox or aws, not ${kind}`);
}
