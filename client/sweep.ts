// `npm run lab -- sweep`: delete what labs left when their workflow could not clean up (a
// terminated lab runs no teardown), now or on a timetable as a Temporal Schedule.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { labTargets, taskQueueFor, type LabTarget } from '../lab/targets.js';
import { parseDuration } from '../lab/spec.js';
import type { SweeperInput, SweeperResult } from '../workflows/sweeper.js';
import type { Command } from './lab.js';
import { UsageError } from './options.js';

const scheduleId = 'sweeper';

/** `--flag value` or `--flag=value`; undefined when absent. */
function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const value = args[i]!.includes('=') ? args[i]!.slice(name.length + 1) : args[i + 1];
  if (!value || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return value;
}

/** The sweeper runs on the workers of one target, so it sweeps only that cloud. */
function sweepTaskQueue(args: string[]): string {
  const target = flag(args, '--target') ?? 'sandbox';
  if (!(labTargets as readonly string[]).includes(target))
    throw new UsageError(`--target must be ${labTargets.join(' or ')}, not ${target}`);
  return taskQueueFor(target as LabTarget);
}

function sweeperInput(args: string[]): SweeperInput {
  return { dryRun: args.includes('--dry-run'), region: flag(args, '--region'), domain: flag(args, '--domain') };
}

export function resultLines(result: SweeperResult, dryRun: boolean): string[] {
  if (result.found.length === 0) return ['nothing tagged with a lab id'];
  const lines: string[] = [];
  for (const f of result.found) {
    lines.push(`${f.labId}  ${f.running ? 'running (left alone)' : 'not running'}  ${f.resources.length} resources`);
    for (const r of f.resources) lines.push(`  ${r.kind} ${r.id}`);
  }
  if (dryRun) return [...lines, 'dry run: nothing deleted'];
  for (const s of result.swept) {
    lines.push(`${s.labId}: deleted ${s.deleted.length}${s.error ? `; FAILED: ${s.error}` : ''}`);
    for (const r of s.deleted) lines.push(`  deleted ${r.kind} ${r.id}`);
  }
  return lines;
}

export const sweepCommands: Record<string, { usage: string; run: Command }> = {
  sweep: {
    usage: `sweep [--dry-run] [--target sandbox|aws] [--region r] [--domain d]   delete what terminated labs left (no running lab is touched)
  sweep schedule [--every 6h] [--target t] [--region r]     sweep on a timetable (Temporal Schedule "${scheduleId}")`,
    run: async (args, { client }) => {
      if (args[0] === 'schedule') {
        const every = flag(args, '--every') ?? '6h';
        if (!parseDuration(every)) throw new UsageError('--every needs a duration such as 6h or 30m');
        const handle = await client.schedule.create({
          scheduleId,
          spec: { intervals: [{ every }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'sweeper',
            taskQueue: sweepTaskQueue(args.slice(1)),
            workflowId: scheduleId,
            args: [{ ...sweeperInput(args.slice(1)), dryRun: false }],
          },
          // Two sweepers deleting the same lab at once would only trip over each other.
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
        });
        console.log(`${handle.scheduleId}: sweeps every ${every}`);
        return 0;
      }
      const input = sweeperInput(args);
      const result = (await client.workflow.execute('sweeper', {
        taskQueue: sweepTaskQueue(args),
        workflowId: `sweeper-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        args: [input],
      })) as SweeperResult;
      for (const line of resultLines(result, input.dryRun ?? false)) console.log(line);
      return result.swept.some((s) => s.error) ? 1 : 0;
    },
  },
};
