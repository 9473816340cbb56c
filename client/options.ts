// start-lab's flags → a LabSpecInput. Validation itself is lab/spec.ts's: the client only
// translates words into fields, so the fields' errors name the flags.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LabSpecInput } from '../lab/spec.js';
import { projectRoot } from '../lab/local.js';

export const flagOf: Record<string, string> = {
  labId: '--lab-id',
  target: '--target',
  region: '--region',
  instanceType: '--instance-type',
  nodes: '--nodes',
  replicas: '--replicas',
  phases: '--phases',
  domain: '--domain',
  ttl: '--ttl',
  kubernetesVersion: '--kubernetes-version',
  allowExtendedSupport: '--allow-extended-support',
  reportDir: '--report-dir',
};

export const usage = `npm run start-lab -- [flags]
  --target sandbox|aws        where the lab runs (default sandbox)
  --region REGION             AWS region (default ap-northeast-2)
  --instance-type TYPE        node instance type (default t3.medium)
  --nodes N                   nodes in the node group (default 3)
  --replicas N                nginx replicas for the pod-density test (default 50)
  --phases a,b,…              test phases: networking,density,lbController,nlb,ingress,externalDns,iperf3 (default all)
  --domain DOMAIN             Route53 public zone for ExternalDNS (sandbox default netlab.example.com)
  --ttl DURATION              tear down after this long at the latest (default 2h)
  --keep                      stay up after the tests until the TTL or a teardown signal
  --kubernetes-version 1.NN   EKS version (default: the newest in EKS standard support)
  --allow-extended-support    allow a version in EKS extended support: it costs 6× more per cluster-hour ($0.60 vs $0.10)
  --profile fast|realistic    sandbox latency profile (default fast)
  --report-dir DIR            where report.json and report.md go (default .netlab/reports/<lab-id>)
  --lab-id ID                 the lab's id (default lab-MMDD-HHMM-xxx)
  --yes                       do not ask before creating AWS resources
  --plan                      print what would be created, in order, and stop
  --detach                    start the lab and print its id, without following it`;

/**
 * The validation failure of a lab (`invalid lab spec: region: …; instanceType: …`, found by the
 * worker's look-ups) with each field named by its flag, as the client's own checks name them.
 */
export function withFlagNames(message: string): string {
  return message.replace(/(^|: |; )([a-zA-Z]+)(?=: )/g, (all, before: string, field: string) =>
    flagOf[field] ? `${before}${flagOf[field]}` : all,
  );
}

/** Bad input on the command line: the commands exit 2 with its one-line message. */
export class UsageError extends Error {}

export function defaultLabId(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}`;
  return `lab-${stamp}-${Math.random().toString(36).slice(2, 5)}`;
}

export interface StartOptions {
  spec: LabSpecInput;
  profile: string;
  yes: boolean;
  plan: boolean;
  detach: boolean;
  help: boolean;
}

export function parseStartArgs(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'sandbox' },
      region: { type: 'string' },
      'instance-type': { type: 'string' },
      nodes: { type: 'string' },
      replicas: { type: 'string' },
      phases: { type: 'string' },
      domain: { type: 'string' },
      ttl: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'kubernetes-version': { type: 'string' },
      'allow-extended-support': { type: 'boolean', default: false },
      profile: { type: 'string', default: 'fast' },
      'report-dir': { type: 'string' },
      'lab-id': { type: 'string' },
      yes: { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
      detach: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  // Decimal digits only: Number() would also take 0x10, 1e1 and 0b11. Anything else becomes NaN,
  // which the schema refuses with the flag's own message.
  const number = (v?: string): number | undefined =>
    v === undefined ? undefined : /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  const sandbox = values.target === 'sandbox';
  const spec: LabSpecInput = {
    labId: values['lab-id'] ?? defaultLabId(),
    target: values.target as 'sandbox' | 'aws',
    region: values.region,
    instanceType: values['instance-type'],
    nodes: number(values.nodes),
    replicas: number(values.replicas),
    phases: values.phases?.split(',').map((p) => p.trim()) as LabSpecInput['phases'],
    domain: values.domain,
    ttl: values.ttl,
    keep: values.keep,
    kubernetesVersion: values['kubernetes-version'],
    allowExtendedSupport: values['allow-extended-support'],
    reportDir: values['report-dir'],
    // The sandbox has no zone of its own and no chart repository: the lab makes the zone, and
    // Helm installs the sandbox's stand-in chart.
    createZone: sandbox,
    lbControllerChart: sandbox ? join(projectRoot, 'sandbox', 'charts', 'aws-load-balancer-controller') : undefined,
  };
  return {
    spec,
    profile: values.profile!,
    yes: values.yes!,
    plan: values.plan!,
    detach: values.detach!,
    help: values.help!,
  };
}
