// Whole labs on the sandbox, any number at once, on one worker in this process (as one
// `npm run worker` runs every lab on its queue), each with its own cluster and control plane.
import { labOutcome } from '../client/follow.js';
import { sandboxSpec, startWorker } from '../test/helpers/lab.js';
import { unique } from '../test/helpers/sandbox.js';

/** One lab's figures, as the bench's JSON keeps them. */
export interface LabRecord {
  labId: string;
  profile: string;
  /** How many labs ran at once, this one included. */
  atOnce: number;
  outcome: string;
  error?: string;
  wallMs: number;
  historyEvents: number;
  phases: { phase: string; durationMs: number }[];
}

export type BenchWorker = Awaited<ReturnType<typeof startWorker>>;

/** Starts one lab and waits for its end; a lab that could not start or ended without an outcome failed. */
async function runOne(worker: BenchWorker, labId: string, profile: string, atOnce: number): Promise<LabRecord> {
  const base = { labId, profile, atOnce };
  const started = Date.now();
  try {
    const handle = await worker.client.workflow.start('networkLab', {
      taskQueue: worker.taskQueue,
      workflowId: labId,
      args: [sandboxSpec({ labId })],
    });
    const { report } = await labOutcome(handle);
    const wallMs = Date.now() - started;
    const history = await handle.fetchHistory();
    return {
      ...base,
      outcome: report.outcome,
      error: report.error,
      wallMs,
      historyEvents: history.events?.length ?? 0,
      phases: report.phases.map((p) => ({ phase: p.phase, durationMs: p.durationMs ?? 0 })),
    };
  } catch (err) {
    return {
      ...base,
      outcome: 'no outcome',
      error: String(err),
      wallMs: Date.now() - started,
      historyEvents: 0,
      phases: [],
    };
  }
}

/** Starts `count` labs at once and waits for every one to end. */
export async function labsAtOnce(worker: BenchWorker, count: number, profile: string): Promise<LabRecord[]> {
  const prefix = unique('b');
  return Promise.all(Array.from({ length: count }, (_, i) => runOne(worker, `${prefix}-${i}`, profile, count)));
}
