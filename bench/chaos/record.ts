// What the chaos suite records: each lab with the faults thrown at it, what it was expected to
// end as and how it ended; each batch of labs with its inventory diff and creates made twice.
import { formatSeconds } from '../../lab/duration.js';
import type { TrailEntry } from '../../sandbox/cloud/trail.js';
import type { InventoryItem } from './inventory.js';

export interface FaultRecord {
  kind: string;
  /** When it was thrown (ms since the epoch). */
  at: number;
  /** The lab phase running then (the LabPhase search attribute). */
  phase?: string;
  detail?: string;
  /** From the fault to the lab's next completed activity (or its end): how long it took to move again. */
  recoveryMs?: number;
}

export interface LabRecord {
  labId: string;
  phases: string[];
  expected: string;
  outcome: string;
  error?: string;
  asExpected: boolean;
  faults: FaultRecord[];
  wallMs: number;
  historyEvents?: number;
}

/** A create that took effect more than once for one name (from the gateway's trail). */
export interface MadeTwice {
  service: string;
  operation: string;
  name: string;
  times: number;
}

/** Creates that took effect more than once for one name, each making something new. */
/** The creates a lab makes once per name (tags, rules and record changes are made many times by design). */
const madeOnce = new Set([
  'CreateStack',
  'CreateCluster',
  'CreateNodegroup',
  'CreateAddon',
  'CreateRole',
  'CreatePolicy',
  'CreateOpenIDConnectProvider',
  'CreateInstanceProfile',
  'CreateHostedZone',
  'CreateLoadBalancer',
  'CreateTargetGroup',
]);

export function madeTwice(trail: TrailEntry[]): MadeTwice[] {
  const made = new Map<string, { entry: TrailEntry; ids: Set<string> }>();
  trail
    .filter((e) => e.status < 300 && madeOnce.has(e.operation))
    .forEach((e, i) => {
      const key = `${e.service} ${e.operation} ${e.name}`;
      const seen = made.get(key) ?? { entry: e, ids: new Set<string>() };
      seen.ids.add(e.made ?? `answer ${i}`);
      made.set(key, seen);
    });
  return [...made.values()]
    .filter((m) => m.ids.size > 1)
    .map(({ entry, ids }) => ({
      service: entry.service,
      operation: entry.operation,
      name: entry.name,
      times: ids.size,
    }));
}

export interface BatchRecord {
  scenario: string;
  labs: LabRecord[];
  /** In the inventory after and not before. */
  left: InventoryItem[];
  madeTwice: MadeTwice[];
  notes: string[];
}

export interface ScenarioRow {
  scenario: string;
  labs: number;
  faults: number;
  asExpected: string;
  left: number;
  madeTwice: number;
  longestRecoveryMs?: number;
}

export function rowOf(scenario: string, batches: BatchRecord[]): ScenarioRow {
  const labs = batches.flatMap((b) => b.labs);
  const recoveries = labs.flatMap((l) => l.faults.flatMap((f) => (f.recoveryMs === undefined ? [] : [f.recoveryMs])));
  return {
    scenario,
    labs: labs.length,
    faults: labs.reduce((n, l) => n + l.faults.length, 0),
    asExpected: batches.some((b) => b.notes.some((n) => n.startsWith('broke')))
      ? 'scenario broke'
      : `${labs.filter((l) => l.asExpected).length}/${labs.length}`,
    left: batches.reduce((n, b) => n + b.left.length, 0),
    madeTwice: batches.reduce((n, b) => n + b.madeTwice.length, 0),
    longestRecoveryMs: recoveries.length ? Math.max(...recoveries) : undefined,
  };
}

export function table(rows: ScenarioRow[]): string {
  const lines = [
    '| scenario | labs | faults thrown | outcome as expected | resources left | made twice | longest recovery |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.scenario} | ${r.labs} | ${r.faults} | ${r.asExpected} | ${r.left} | ${r.madeTwice} | ${r.longestRecoveryMs === undefined ? '—' : formatSeconds(r.longestRecoveryMs)} |`,
    );
  return lines.join('\n');
}
