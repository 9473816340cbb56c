// When each emulated resource changed state, to the millisecond, as the emulation decided it: a
// stack complete, a cluster ACTIVE or gone, a node Ready. The emulation answers describes from
// elapsed time, so the moment a state changes is known without anyone asking; the bench pairs
// these with the time the lab's waits noticed them (`bench/readiness.ts`), the lag being what
// the orchestrator adds to the cloud's own delays.

export interface Transition {
  /** When the state changed (ms since the epoch): may be ahead of when it was recorded. */
  at: number;
  /** What changed: `stack`, `cluster`, `nodegroup`, `addon`, `node`. */
  kind: string;
  /** Its name: a stack's or cluster's; `<cluster>/<node group>`, `<cluster>/<add-on>`, `<cluster>/<node>`. */
  name: string;
  /** The state it reached: `CREATE_COMPLETE`, `DELETE_COMPLETE`, `ACTIVE`, `gone`, `Ready`. */
  state: string;
}

const kept = 10_000;
const transitions: Transition[] = [];

export function recordTransition(kind: string, name: string, state: string, at = Date.now()): void {
  transitions.push({ at, kind, name, state });
  if (transitions.length > kept) transitions.splice(0, transitions.length - kept);
}

/** The transitions that happened at or after `since` (ms since the epoch), oldest first. */
export const transitionsSince = (since: number): Transition[] =>
  transitions.filter((t) => t.at >= since).sort((a, b) => a.at - b.at);
