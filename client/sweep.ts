// `npm run lab -- sweep`: delete what labs left when their workflow could not clean up (a
// terminated lab runs no teardown), now or on a timetable as a Temporal Schedule.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { labTargets, taskQueueFor, type LabTarget } from '../lab/targets.js';
import { parseDuration } from '../lab/spec.js';
import type { SweeperInput, SweeperResult } from '../workflows/sweeper.js';
import { command, UsageError, type FlagValues, type Group } from './cli.js';
import { ensureWorker } from './worker-process.js';

const scheduleId = 'sweeper';

const whereFlags = {
  target: {
    value: 'sandbox|aws',
    help: "the cloud to sweep: the sweeper runs on that target's workers",
    default: 'sandbox',
  },
  region: { value: 'REGION', help: "the region to sweep (default the worker's)" },
  domain: { value: 'DOMAIN', help: 'the Route53 zone whose lab records are swept (default netlab.example.com)' },
};

/** The sweeper runs on the workers of one target, so it sweeps only that cloud. */
function targetOf(flags: FlagValues<typeof whereFlags>): LabTarget {
  if (!(labTargets as readonly string[]).includes(flags.target))
    throw new UsageError(`--target must be ${labTargets.join(' or ')}, not ${flags.target}`);
  return flags.target as LabTarget;
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

export const sweepCommands: Record<string, Group> = {
  sweep: {
    about: 'delete what terminated labs left (no running lab is touched), now or on a timetable',
    fallback: command({
      about: 'delete what terminated labs left (no running lab is touched)',
      flags: { 'dry-run': { help: 'list what would be deleted, delete nothing' }, ...whereFlags },
      async run({ flags }, temporal) {
        const target = targetOf(flags);
        const input: SweeperInput = { dryRun: flags['dry-run'], region: flags.region, domain: flags.domain };
        const ctx = await temporal();
        await ensureWorker(ctx, target);
        const result = (await ctx.client.workflow.execute('sweeper', {
          taskQueue: taskQueueFor(target),
          workflowId: `sweeper-${new Date().toISOString().replace(/[:.]/g, '-')}`,
          args: [input],
        })) as SweeperResult;
        for (const line of resultLines(result, flags['dry-run'])) console.log(line);
        return result.swept.some((s) => s.error) ? 1 : 0;
      },
    }),
    commands: {
      schedule: command({
        about: `sweep on a timetable (Temporal Schedule "${scheduleId}")`,
        flags: { every: { value: 'DURATION', help: 'how often', default: '6h' }, ...whereFlags },
        async run({ flags }, temporal) {
          if (!parseDuration(flags.every)) throw new UsageError('--every needs a duration such as 6h or 30m');
          const target = targetOf(flags);
          const { client } = await temporal();
          const handle = await client.schedule.create({
            scheduleId,
            spec: { intervals: [{ every: flags.every }] },
            action: {
              type: 'startWorkflow',
              workflowType: 'sweeper',
              taskQueue: taskQueueFor(target),
              workflowId: scheduleId,
              args: [{ dryRun: false, region: flags.region, domain: flags.domain } satisfies SweeperInput],
            },
            // Two sweepers deleting the same lab at once would only trip over each other.
            policies: { overlap: ScheduleOverlapPolicy.SKIP },
          });
          console.log(`${handle.scheduleId}: sweeps every ${flags.every}`);
          return 0;
        },
      }),
    },
  },
};
