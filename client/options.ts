// start-lab's flags, each declared once. The spec flags (shared with `schedule create`) only
// translate words into the fields of a LabSpecInput; validation itself is lab/spec.ts's, and its
// problems are reported under the flags declared here.
import { optionalPhases } from '../lab/phases.js';
import type { LabSpecInput, SpecProblem } from '../lab/spec.js';
import type { Flags, FlagValues } from './cli.js';

/** The flags that fill a lab's spec, but its id (a schedule names its labs itself). */
export const specFlags = {
  target: { value: 'sandbox|aws', help: 'where the lab runs', default: 'sandbox', field: 'target' },
  region: { value: 'REGION', help: 'AWS region (default ap-northeast-2)', field: 'region' },
  'instance-type': { value: 'TYPE', help: 'node instance type (default t3.medium)', field: 'instanceType' },
  nodes: { value: 'N', help: 'nodes in the node group (default 3)', field: 'nodes' },
  replicas: { value: 'N', help: 'nginx replicas for the pod-density test (default 50)', field: 'replicas' },
  phases: { value: 'a,b,…', help: `test phases: ${optionalPhases.join(',')} (default all)`, field: 'phases' },
  domain: {
    value: 'DOMAIN',
    help: 'Route53 public zone for ExternalDNS (sandbox default netlab.example.com)',
    field: 'domain',
  },
  ttl: { value: 'DURATION', help: 'tear down after this long at the latest (default 2h)', field: 'ttl' },
  keep: { help: 'stay up after the tests until the TTL or a teardown signal', field: 'keep' },
  'kubernetes-version': {
    value: '1.NN',
    help: 'EKS version (default: the newest in EKS standard support)',
    field: 'kubernetesVersion',
  },
  'allow-extended-support': {
    help: 'allow a version in EKS extended support: it costs 6× more per cluster-hour ($0.60 vs $0.10)',
    field: 'allowExtendedSupport',
  },
  'report-dir': {
    value: 'DIR',
    help: 'where report.json and report.md go (default .netlab/reports/<lab-id>)',
    field: 'reportDir',
  },
} satisfies Flags;

export const startFlags = {
  ...specFlags,
  profile: {
    value: 'fast|realistic',
    help: 'sandbox latency profile (default: the running sandbox keeps its own; a new one starts fast)',
  },
  'lab-id': { value: 'ID', help: "the lab's id (default lab-MMDD-HHMM-xxx)", field: 'labId' },
  yes: { help: 'do not ask before creating AWS resources' },
  plan: { help: 'print what would be created, in order, and stop' },
  detach: { help: 'start the lab and print its id, without following it' },
} satisfies Flags;

/** Each spec field that a flag fills, with the flag's name: `instanceType` → `--instance-type`. */
const flagOfField = new Map<string, string>(
  Object.entries(startFlags).flatMap(([name, flag]) => ('field' in flag ? [[flag.field, `--${name}`]] : [])),
);

/** The flag that sets a spec field (or a nested one: `phases.0`); a field no flag sets keeps its name. */
export const flagName = (field: string): string => flagOfField.get(field.split('.')[0]!) ?? field;

/**
 * A validation message with each field named by its flag: where it names the field a problem is
 * about (`invalid lab spec: region: …; instanceType: …`, as the worker's look-ups say it), and
 * wherever a camelCase field appears (`allow it with allowExtendedSupport`): no English word is
 * camelCase, so those are always field names.
 */
export function withFlagNames(message: string): string {
  return message
    .replace(/(^|: |; )([a-z][a-zA-Z]*)(?=: )/g, (all, before: string, field: string) =>
      flagOfField.has(field) ? `${before}${flagOfField.get(field)}` : all,
    )
    .replace(/\b[a-z]+(?:[A-Z][a-z]*)+\b/g, (word) => flagOfField.get(word) ?? word);
}

/** The spec's problems as start-lab prints them: one a line, each under the flag that fixes it. */
export const problemLines = (problems: SpecProblem[]): string[] =>
  problems.map((p) => `  ${flagName(p.field)}: ${withFlagNames(p.message)}`);

export function defaultLabId(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}`;
  return `lab-${stamp}-${Math.random().toString(36).slice(2, 5)}`;
}

/** The spec the flags ask for, unvalidated: the schema judges it and names the flags it refuses. */
export function specOf(values: FlagValues<typeof specFlags>, labId: string): LabSpecInput {
  // Decimal digits only: Number() would also take 0x10, 1e1 and 0b11. Anything else becomes NaN,
  // which the schema refuses with the flag's own message.
  const number = (v?: string): number | undefined =>
    v === undefined ? undefined : /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  const sandbox = values.target === 'sandbox';
  return {
    labId,
    target: values.target as LabSpecInput['target'],
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
    // The sandbox has no zone of its own: the lab makes it. (Its worker installs the controller
    // from the sandbox's stand-in chart: see the sandbox target.)
    createZone: sandbox,
  };
}
