// The lab spec: everything a lab is told, validated in one place. It is the workflow's input,
// so it holds no secret: credentials live in the worker's configuration only.
import { z } from 'zod';
import { nameProblems } from './names.js';
import { alwaysRun, optionalPhases, phaseIds, phaseNeeds, type PhaseId } from './phases.js';
import { labTargets } from './targets.js';

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, 'must be an IPv4 CIDR such as 192.168.0.0/16');

/** The longest a lab may live, and the most one extend-ttl may add: a forgotten lab costs money. */
export const maxTtlMs = 7 * 24 * 3_600_000;

/**
 * Durations as people write them: 90s, 45m, 2h, 1h30m. Undefined for anything else, and for
 * anything over 7 days, so no duration can overflow a timer.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d{1,6})h)?(?:(\d{1,8})m)?(?:(\d{1,9})s)?$/.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  const ms = ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
  return ms > 0 && ms <= maxTtlMs ? ms : undefined;
}
const duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, 'must be a duration from 1s to 168h (7 days), such as 90m or 2h');

/** A whole number in a range. Only a JSON number passes: the CLI turns decimal digits into one, nothing else. */
const count = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}, written in decimal digits` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const labIdPattern = /^[a-z][a-z0-9-]{1,21}[a-z0-9]$/;

export const labSpecSchema = z
  .object({
    /** Names every resource and tags it `netlab.io/lab-id`; a DNS label, short enough for IAM and ELB names. */
    labId: z
      .string()
      .regex(
        labIdPattern,
        'must be 3-23 lower-case letters, digits or dashes, starting with a letter and ending with a letter or digit',
      ),
    target: z.enum(labTargets).default('sandbox'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as ap-northeast-2')
      .default('ap-northeast-2'),
    /** EKS's Kubernetes version; when absent, validation picks the newest in standard support. */
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{2}$/, 'must be a minor version such as 1.35')
      .optional(),
    /** Allow a version in EKS extended support, which costs 6× more per cluster-hour. */
    allowExtendedSupport: z.boolean().default(false),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t3.medium')
      .default('t3.medium'),
    nodes: count(1, 20).default(3),
    vpcCidr: cidr.default('192.168.0.0/16'),
    subnetCidrs: z.array(cidr).length(3).default(['192.168.1.0/24', '192.168.2.0/24', '192.168.3.0/24']),
    /** nginx replicas for the pod-density test (the write-up scaled to 50). */
    replicas: count(1, 1000).default(50),
    /** Test phases to run; the lab's own phases (deploy, nodes, report, teardown, leak check) always run. */
    phases: z.array(z.enum(optionalPhases)).default([...optionalPhases]),
    /** The Route53 public zone ExternalDNS writes to (`tetris.<lab id>.<domain>`). */
    domain: z
      .string()
      // Route53: labels of 1-63 letters, digits and hyphens, not starting or ending with one;
      // room left under the 253-character name for `tetris.<lab id>.` and ExternalDNS's TXT prefix.
      .max(200, 'must be at most 200 characters')
      .regex(
        /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'must be a DNS domain such as lab.example.com: labels of 1-63 letters, digits and hyphens, none starting or ending with a hyphen',
      )
      .default('netlab.example.com'),
    /** Create the hosted zone when it does not exist (the sandbox); on AWS the zone is the user's. */
    createZone: z.boolean().default(false),
    /** How long the lab may live before teardown starts on its own. */
    ttl: duration.default('2h'),
    /** Leave everything up after the tests (teardown then waits for the TTL or a signal). */
    keep: z.boolean().default(false),
    iperf3: z
      .object({
        seconds: count(1, 60).default(5),
        parallel: count(1, 16).default(4),
        udpBandwidth: z
          .string()
          .regex(/^\d+[KMG]?$/, 'must be an iperf3 bandwidth such as 20G')
          .default('20G'),
      })
      .prefault({}),
    /** Where the AWS Load Balancer Controller chart comes from: the eks-charts repository, or a local chart folder. */
    lbControllerChart: z.string().default('eks/aws-load-balancer-controller'),
    /** Where the worker writes report.json and report.md. */
    reportDir: z.string().min(1, 'must be a folder path').optional(),
  })
  .superRefine((spec, ctx) => {
    // Zod runs refinements on a partly invalid object too: check derived names only for a well-formed id.
    if (labIdPattern.test(spec.labId))
      for (const message of nameProblems(spec.labId)) ctx.addIssue({ code: 'custom', path: ['labId'], message });
    for (const phase of spec.phases) {
      for (const need of phaseNeeds[phase] ?? []) {
        if (!spec.phases.includes(need)) {
          ctx.addIssue({ code: 'custom', path: ['phases'], message: `${phase} needs ${need}: add it to --phases` });
        }
      }
    }
    if (spec.subnetCidrs.some((c) => !cidrContains(spec.vpcCidr, c))) {
      ctx.addIssue({
        code: 'custom',
        path: ['subnetCidrs'],
        message: `every subnet must lie inside vpcCidr ${spec.vpcCidr}`,
      });
    }
  });

export type LabSpecInput = z.input<typeof labSpecSchema>;
export type LabSpec = z.output<typeof labSpecSchema>;

function cidrRange(c: string): [number, number] {
  const [ip, bits] = c.split('/');
  const base = ip!.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return [base - (base % size), base - (base % size) + size];
}

export function cidrContains(outer: string, inner: string): boolean {
  const [a, b] = cidrRange(outer);
  const [c, d] = cidrRange(inner);
  return c >= a && d <= b;
}

/** Each problem with its field, so a person can fix all of them at once. */
export interface SpecProblem {
  field: string;
  message: string;
}

export function validateSpec(
  input: unknown,
): { spec: LabSpec; problems: [] } | { spec?: undefined; problems: SpecProblem[] } {
  const parsed = labSpecSchema.safeParse(input);
  if (parsed.success) return { spec: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(spec)', message: i.message })),
  };
}

/** The phases this spec runs, in order. */
export function phasesToRun(spec: LabSpec): PhaseId[] {
  const chosen = new Set<PhaseId>([...alwaysRun, ...spec.phases]);
  return phaseIds.filter((p) => chosen.has(p));
}

/** A short, stable digest of a text (FNV-1a, base 36): deterministic, so workflow code may use it. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36).padStart(7, '0').slice(-4);
}

/**
 * A lab id from a workflow id, for labs started without one (a Temporal Schedule appends the
 * scheduled time to its workflow id: `nightly-2026-11-28T03:00:00Z` → `nightly-1128-0300`;
 * seconds are kept when not zero, so schedules faster than once a minute still get unique ids).
 * A name that had to be cleaned or cut gets a digest of the original, so two schedules whose ids
 * share a prefix never map to the same lab id (and never tear down each other's resources).
 */
export function labIdFromWorkflowId(workflowId: string): string {
  const clean = (text: string): string =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[^a-z]+/, '')
      .replace(/-+$/, '');
  const fit = (text: string, max: number): string => {
    const cleaned = clean(text);
    if (cleaned === text && cleaned.length <= max && cleaned.length >= 3) return cleaned;
    const tag = digest(text);
    const head = cleaned.slice(0, max - tag.length - 1).replace(/-+$/, '');
    return head ? `${head}-${tag}` : `lab-${tag}`;
  };
  const scheduled = /^(.*)-\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(workflowId);
  if (scheduled) {
    const [, name = '', month, day, hour, minute, second] = scheduled;
    const stamp = `-${month}${day}-${hour}${minute}${second === '00' ? '' : second}`;
    return `${fit(name, 23 - stamp.length)}${stamp}`;
  }
  return fit(workflowId, 23);
}
