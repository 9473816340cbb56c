// sweeper: deletes what labs left when their workflow can no longer clean up (terminated, or
// its history lost). A lab id with a running networkLab is left alone: it tears down itself.
// Orchestration only: listing, Temporal's visibility and every delete are activities.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import type { LeftoverResource } from '../lab/report.js';

export interface SweeperInput {
  /** Report what would be swept; delete nothing. */
  dryRun?: boolean;
  /** The region to sweep; the worker's target region when absent. */
  region?: string;
  /** The zone ExternalDNS wrote the labs' records to (zones a lab made itself are found by their tag). */
  domain?: string;
  /** Only these lab ids (the others are still listed in `found`). */
  labIds?: string[];
}

export interface SweeperResult {
  found: { labId: string; running: boolean; resources: LeftoverResource[] }[];
  swept: { labId: string; deleted: LeftoverResource[]; error?: string }[];
}

const retry = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 };
const quick = proxyActivities<LabActivities>({ startToCloseTimeout: '5m', retry } satisfies ActivityOptions);
/** Deletes wait on AWS and heartbeat while they do. */
const deleting = proxyActivities<LabActivities>({
  startToCloseTimeout: '90m',
  heartbeatTimeout: '1m',
  retry,
} satisfies ActivityOptions);

export async function sweeper(input: SweeperInput = {}): Promise<SweeperResult> {
  const labIds = await quick.findLabIds(input.region);
  // Asked after the AWS listing: a lab that owned something then and runs now is in this list.
  const running = new Set(await quick.runningLabIds());
  const result: SweeperResult = { found: [], swept: [] };
  for (const labId of labIds) {
    const resources = await quick.labResources(labId, input.domain, input.region);
    result.found.push({ labId, running: running.has(labId), resources });
  }
  if (input.dryRun) return result;
  for (const { labId, running: isRunning } of result.found) {
    if (isRunning || (input.labIds && !input.labIds.includes(labId))) continue;
    try {
      result.swept.push({ labId, deleted: await deleting.sweepLab(labId, input.domain, input.region) });
    } catch (err) {
      const e = err as { message?: string; cause?: { message?: string } };
      result.swept.push({ labId, deleted: [], error: e.cause?.message ?? e.message ?? String(err) });
    }
  }
  return result;
}
