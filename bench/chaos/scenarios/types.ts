// A chaos scenario: throws one kind of fault at labs and returns the batches it ran.
import type { ChaosContext } from '../labs.js';
import type { BatchRecord } from '../record.js';

export interface Scenario {
  name: string;
  /** What it throws and what it expects, for the run's log. */
  about: string;
  run(ctx: ChaosContext): Promise<BatchRecord[]>;
}
