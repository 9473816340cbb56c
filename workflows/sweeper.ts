// sweeper: deletes what labs left when their workflow can no longer clean up (terminated, or
// its history lost). A lab id with a running networkLab is left alone: it tears down itself.
// Orchestration only: listing, Temporal's visibility and every delete are activities.
import { proxyActivities } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import type { LeftoverResource } from '../lab/report.js';
import { message, undoing, waiting } from './options.js';

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

/** Listings page through whole accounts and heartbeat while they do. */
const listing = proxyActivities<LabActivities>(waiting);
/** Deletes are undos: they retry as long as the lab's own teardown would. */
const deleting = proxyActivities<LabActivities>(undoing);

export async function sweeper(input: SweeperInput = {}): Promise<SweeperResult> {
  const labIds = await listing.findLabIds(input.region, input.domain);
  // Asked after the AWS listing: a lab that owned something then and runs now is in this list.
  const running = new Set(await listing.runningLabIds());
  const result: SweeperResult = { found: [], swept: [] };
  for (const labId of labIds) {
    const resources = await listing.labResources(labId, input.domain, input.region);
    result.found.push({ labId, running: running.has(labId), resources });
  }
  if (input.dryRun) return result;
  for (const { labId, running: isRunning } of result.found) {
    if (isRunning || (input.labIds && !input.labIds.includes(labId))) continue;
    try {
      result.swept.push({ labId, deleted: await deleting.sweepLab(labId, input.domain, input.region) });
    } catch (err) {
      result.swept.push({ labId, deleted: [], error: message(err) });
    }
  }
  return result;
}
