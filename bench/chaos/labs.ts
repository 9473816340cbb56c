// Driving labs for the chaos suite: start one on the worker processes the suite owns, watch its
// phase from the server (no worker needed to answer), end it, and measure what it left.
import { taskQueueFor } from '../../lab/targets.js';
import { ApplicationFailure, type Client, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { LabReport } from '../../lab/report.js';
import { labPhaseKey } from '../../lab/search-attributes.js';
import { type LabOutcome } from '../../lab/signals.js';
import type { LabSpecInput } from '../../lab/spec.js';
import { phaseIds, type OptionalPhase, type PhaseId } from '../../lab/phases.js';
import { endpoints, sandboxRegion } from '../../sandbox/config.js';
import type { TrailEntry } from '../../sandbox/cloud/trail.js';
import { sandboxSpec } from '../../test/helpers/lab.js';
import { newSince, takeInventory, type InventoryItem } from './inventory.js';
import type { Rng } from './prng.js';
import { madeTwice, type BatchRecord, type FaultRecord, type LabRecord } from './record.js';
import type { WorkerPool } from './workers.js';

export interface ChaosContext {
  client: Client;
  workers: WorkerPool;
  rng: Rng;
  /** The CI version: a few faults, small phase sets. */
  short: boolean;
  runs: number;
  log: (line: string) => void;
  /** Every workflow the suite started, for the secrets scan. */
  workflowIds: string[];
}

/** The suite's labs all run in the sandbox's default region. */
const labRegions = [sandboxRegion];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let labCount = 0;

/** A sandbox lab spec with a short id that says which scenario made it. */
export function chaosSpec(tag: string, phases: OptionalPhase[], overrides: Partial<LabSpecInput> = {}): LabSpecInput {
  const labId = `c${tag}-${Date.now().toString(36).slice(-6)}-${++labCount}`;
  return sandboxSpec({ labId, phases, ...overrides });
}

export async function startLab(ctx: ChaosContext, spec: LabSpecInput): Promise<WorkflowHandle> {
  ctx.workflowIds.push(spec.labId!);
  ctx.log(`  lab ${spec.labId}: phases ${spec.phases?.join(',') || '(deploy, nodes)'}`);
  return ctx.client.workflow.start('networkLab', {
    taskQueue: taskQueueFor('sandbox'),
    workflowId: spec.labId!,
    args: [spec],
  });
}

export interface LabState {
  phase?: string;
  closed: boolean;
  /** Activity types pending now, with the identity of the worker that runs each. */
  pending: { type: string; worker?: string }[];
}

/** The lab as the server sees it: no worker needs to be alive to answer. */
export async function labState(handle: WorkflowHandle): Promise<LabState> {
  const d = await handle.describe();
  return {
    phase: d.typedSearchAttributes.get(labPhaseKey),
    closed: d.status.name !== 'RUNNING',
    pending: (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '?',
      worker: a.lastWorkerIdentity ?? undefined,
    })),
  };
}

/** Polls the lab until `check` holds (or the lab has ended, or the Temporal server is away too long). */
export async function waitUntil(
  handle: WorkflowHandle,
  check: (s: LabState) => boolean,
  timeoutMs = 15 * 60_000,
): Promise<LabState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await labState(handle).catch(() => undefined);
    if (s && (check(s) || s.closed)) return s;
    if (Date.now() > deadline) throw new Error(`lab ${handle.workflowId}: timed out waiting`);
    await sleep(300);
  }
}

export const fault = (kind: string, state: LabState | undefined, detail?: string): FaultRecord => ({
  kind,
  at: Date.now(),
  phase: state?.phase,
  detail,
});

const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/**
 * The lab's result; waiting rides out the Temporal server being away (server-restart). After
 * `timeoutMs` the lab counts as stuck.
 */
async function labResult(
  handle: WorkflowHandle,
  timeoutMs: number,
): Promise<{ report?: LabReport; status: string; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((ok) => (timer = setTimeout(() => ok('expired'), deadline - Date.now())));
    try {
      const outcome = await Promise.race([handle.result() as Promise<LabOutcome>, expired]);
      if (outcome === 'expired') break;
      return { report: outcome.report, status: 'completed', timedOut: false };
    } catch (err) {
      const e = err as Error;
      if (e.name === 'WorkflowFailedError') {
        // A lab that did not pass fails its workflow with its outcome in the failure's details.
        const cause = e.cause as Error | undefined;
        const outcome =
          cause instanceof ApplicationFailure ? (cause.details?.[0] as LabOutcome | undefined) : undefined;
        return { report: outcome?.report, status: `failed: ${cause?.message ?? e.message}`, timedOut: false };
      }
      await sleep(2000);
    } finally {
      clearTimeout(timer);
    }
  }
  return { status: 'stuck', timedOut: true };
}

/**
 * Waits for the lab's end and records it. A lab that has not ended within `timeoutMs` is
 * terminated (and recorded as `stuck`): a wedged lab is a finding, not a reason to hang.
 */
export async function finishLab(
  handle: WorkflowHandle,
  spec: LabSpecInput,
  started: number,
  expected: { what: string; ok: (report: LabReport | undefined, status: string) => boolean },
  faults: FaultRecord[],
  timeoutMs = 20 * 60_000,
): Promise<LabRecord> {
  const { report, status, timedOut } = await labResult(handle, timeoutMs);
  if (timedOut) await handle.terminate('chaos: the lab did not end in time').catch(() => undefined);
  const history = await handle.fetchHistory().catch(() => undefined);
  const { EventType } = proto.temporal.api.enums.v1;
  const moves = (history?.events ?? [])
    .filter((e) =>
      [EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED].includes(
        e.eventType!,
      ),
    )
    .map((e) => eventMs(e.eventTime));
  for (const f of faults) {
    const next = moves.find((t) => t > f.at);
    if (next !== undefined) f.recoveryMs = next - f.at;
  }
  const outcome = report?.outcome ?? status;
  return {
    labId: spec.labId!,
    phases: spec.phases ?? [],
    expected: expected.what,
    outcome,
    error: report?.error,
    asExpected: !timedOut && expected.ok(report, status),
    faults,
    wallMs: Date.now() - started,
    historyEvents: history?.events?.length,
  };
}

export const passes = { what: 'passed', ok: (r: LabReport | undefined) => r?.outcome === 'passed' };

async function trailSince(since: number): Promise<TrailEntry[]> {
  const res = await fetch(`${endpoints.gateway}/_netlab/trail?since=${since}`);
  return res.ok ? ((await res.json()) as TrailEntry[]) : [];
}

/**
 * Runs labs between two inventories. Deletions AWS finishes after the lab (a control plane
 * going away) get a short while to settle before what is new counts as left.
 */
export async function batch(
  ctx: ChaosContext,
  scenario: string,
  run: (notes: string[]) => Promise<LabRecord[]>,
): Promise<BatchRecord> {
  const before = await takeInventory(labRegions);
  const since = Date.now();
  const notes: string[] = [];
  const labs = await run(notes);
  let left: InventoryItem[] = [];
  for (let i = 0; i < 4; i++) {
    left = newSince(before, await takeInventory(labRegions));
    if (left.length === 0) break;
    await sleep(5000);
  }
  const twice = madeTwice(await trailSince(since));
  for (const l of labs)
    ctx.log(
      `  ${l.labId}: ${l.outcome}${l.error ? ` (${l.error.slice(0, 100)})` : ''}, expected ${l.expected}: ${l.asExpected ? 'ok' : 'NOT AS EXPECTED'}; ${l.faults.length} faults`,
    );
  if (left.length)
    ctx.log(
      `  LEFT ${left.length}: ${left
        .slice(0, 8)
        .map((i) => `${i.kind} ${i.id}`)
        .join(', ')}`,
    );
  if (twice.length) ctx.log(`  MADE TWICE: ${twice.map((t) => `${t.operation} ${t.name} ×${t.times}`).join(', ')}`);
  return { scenario, labs, left, madeTwice: twice, notes };
}

/** Runs one lab, letting `during` throw faults at it (and record them) while it runs. */
export async function labWith(
  ctx: ChaosContext,
  spec: LabSpecInput,
  expected: Parameters<typeof finishLab>[3],
  during: (handle: WorkflowHandle, faults: FaultRecord[]) => Promise<void>,
): Promise<LabRecord> {
  const started = Date.now();
  const handle = await startLab(ctx, spec);
  const faults: FaultRecord[] = [];
  await during(handle, faults).catch((err: Error) => ctx.log(`  ${spec.labId}: fault driver: ${err.message}`));
  return finishLab(handle, spec, started, expected, faults);
}

const order = (phase: string | undefined): number => (phase ? (phaseIds as readonly string[]).indexOf(phase) : -1);

/** Waits until the lab has reached `phase` (or a later one); returns its state then. */
export const atPhase = (handle: WorkflowHandle, phase: PhaseId): Promise<LabState> =>
  waitUntil(handle, (s) => order(s.phase) >= order(phase));

/**
 * A random moment of up to `maxMs` into the lab's current phase, cut short when the phase ends:
 * a fault aimed at a phase lands in it (or as the next one begins) however fast the phase runs,
 * rather than after the lab has ended. Returns the lab's state at that moment.
 */
export async function momentIn(handle: WorkflowHandle, rng: Rng, maxMs: number): Promise<LabState> {
  const until = Date.now() + rng.int(0, maxMs);
  const first = await labState(handle);
  let state = first;
  while (Date.now() < until && !state.closed && state.phase === first.phase) {
    await sleep(Math.min(100, Math.max(0, until - Date.now())));
    state = await labState(handle);
  }
  return state;
}

/** The phases a spec runs in which a fault can land, in order (validate and report last milliseconds). */
export const faultablePhases = (phases: readonly OptionalPhase[]): PhaseId[] => [
  'deploy',
  'nodes',
  ...phases,
  'teardown',
  'leakCheck',
];

export async function gatewayFaults<T>(method: string, body?: unknown): Promise<T> {
  const res = await fetch(`${endpoints.gateway}/_netlab/faults`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`gateway faults ${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export { sleep };
