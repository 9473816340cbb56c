// The critical path of a lab: the longest chain of the emulated cloud's delays through the lab's
// dependency graph (lab/graph.ts). The orchestrator cannot finish sooner than this on the
// sandbox; the bench prints a lab's wall time against it.
import { labStepIds, labSteps, runsStep, type EmulatedCloud, type LabStep, type LabStepId } from '../lab/graph.js';

export interface CriticalPath {
  totalMs: number;
  /** The steps on the path, first to last. */
  steps: LabStepId[];
}

/** When each step the lab runs would finish if the orchestrator took no time of its own. */
export function criticalPath(cloud: EmulatedCloud, steps: Record<LabStepId, LabStep> = labSteps): CriticalPath {
  const finish = new Map<LabStepId, { atMs: number; after?: LabStepId }>();
  const finishOf = (id: LabStepId): { atMs: number; after?: LabStepId } => {
    const known = finish.get(id);
    if (known) return known;
    const { needs, needsHalfWay = [], spends } = steps[id];
    // A half-way wait follows work that spends none of the delays, so it counts as one at the start.
    let latest: { atMs: number; after?: LabStepId } = { atMs: 0 };
    for (const need of [...needs, ...needsHalfWay].filter((n) => runsStep(n, cloud.spec.phases))) {
      const at = finishOf(need).atMs;
      if (latest.after === undefined || at > latest.atMs) latest = { atMs: at, after: need };
    }
    const done = { atMs: latest.atMs + spends(cloud), after: latest.after };
    finish.set(id, done);
    return done;
  };
  const last = labStepIds
    .filter((id) => runsStep(id, cloud.spec.phases))
    .reduce((a, b) => (finishOf(b).atMs > finishOf(a).atMs ? b : a));
  const path: LabStepId[] = [];
  for (let id: LabStepId | undefined = last; id; id = finish.get(id)?.after) path.unshift(id);
  return { totalMs: finishOf(last).atMs, steps: path };
}
