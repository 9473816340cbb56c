// `npm run lab -- schedule …`: nightly (or hourly…) labs as a Temporal Schedule. Each run starts
// networkLab with the same spec and no lab id; the workflow names the lab from its workflow id,
// which the schedule makes from its own id plus the scheduled time (nightly-1128-0300).
import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { labSummary } from '../lab/plan.js';
import { labTargets, taskQueueFor } from '../lab/targets.js';
import { labIdFromWorkflowId, parseDuration, validateSpec, type LabSpecInput } from '../lab/spec.js';
import {
  command,
  UsageError,
  type Command,
  type Connect,
  type FlagValues,
  type Group,
  type Positional,
} from './cli.js';
import { problemLines, specFlags, specOf } from './options.js';
import { ensureWorker } from './worker-process.js';

export interface ScheduleRequest {
  id: string;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  /** The lab spec every run gets; its labId is empty so each run takes its own. */
  spec: LabSpecInput;
}

const defaultCron = '0 3 * * *';

/** `schedule create`'s own flags, then start-lab's for the spec (but --lab-id: runs are named after the schedule). */
const createFlags = {
  id: { value: 'ID', help: "the schedule's id; its labs are named ID-MMDD-HHMM", default: 'nightly' },
  cron: { value: '"M H D M W"', help: `when labs run, as cron (default "${defaultCron}" unless --every)` },
  every: { value: 'DURATION', help: 'run a lab this often instead, such as 1h' },
  tz: { value: 'ZONE', help: 'the time zone of --cron, such as Asia/Seoul (default UTC)' },
  ...specFlags,
};

/** A run's spec validated with the id a run gets, so a bad schedule id is reported like a bad lab id. */
const validateRunSpec = (id: string, spec: LabSpecInput): ReturnType<typeof validateSpec> =>
  validateSpec({ ...spec, labId: labIdFromWorkflowId(`${id}-2000-01-01T00:00:00Z`) });

/** The schedule the flags ask for, validated as start-lab would validate its labs. */
export function scheduleRequest(flags: FlagValues<typeof createFlags>): ScheduleRequest {
  const { id } = flags;
  const everyMs = flags.every === undefined ? undefined : parseDuration(flags.every);
  if (flags.every !== undefined && !everyMs) throw new UsageError('--every needs a duration such as 1h or 30m');
  if (everyMs && flags.cron) throw new UsageError('give --cron or --every, not both');
  const spec = specOf(flags, '');
  const problems = problemLines(validateRunSpec(id, spec).problems);
  if (!/^[a-z][a-z0-9-]*$/.test(id)) problems.push('  --id: must be lower-case letters, digits or dashes');
  if (problems.length > 0) throw new UsageError(`The schedule was not created:\n${problems.join('\n')}`);
  return { id, cron: everyMs ? undefined : (flags.cron ?? defaultCron), everyMs, timezone: flags.tz, spec };
}

/** How people wrote the timetable (Temporal describes cron as calendars). */
const timetable = (req: ScheduleRequest): string =>
  `${req.everyMs ? `every ${req.everyMs / 1000}s` : `cron ${req.cron}`}${req.timezone ? ` ${req.timezone}` : ''}`;

/** Each run's one line in the Web UI: the lab and the schedule that started it. */
function runSummary(req: ScheduleRequest): string | undefined {
  const { spec } = validateRunSpec(req.id, req.spec);
  return spec && `${labSummary(spec)}; schedule ${req.id}, ${timetable(req)}`;
}

/** The Schedule for a request: skip a run while the last one is still going, pause after a failed lab. */
export function scheduleOptions(
  req: ScheduleRequest,
  taskQueue = taskQueueFor(req.spec.target ?? 'sandbox'),
): ScheduleOptions {
  return {
    scheduleId: req.id,
    memo: { timetable: timetable(req) },
    spec: {
      ...(req.everyMs ? { intervals: [{ every: req.everyMs }] } : { cronExpressions: [req.cron!] }),
      timezone: req.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'networkLab',
      taskQueue,
      // Temporal appends the scheduled time to this id; the workflow turns that into the lab id.
      workflowId: req.id,
      args: [req.spec],
      staticSummary: runSummary(req),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h', pauseOnFailure: true },
  };
}

const scheduleIdArg: Positional = { name: 'id', help: 'the schedule, as `npm run lab -- schedule list` shows it' };

/** A command that acts on one schedule and says so. */
const onSchedule = (about: string, act: (id: string, temporal: Connect) => Promise<string>): Command =>
  command({
    about,
    args: [scheduleIdArg],
    flags: {},
    async run({ args: [id] }, temporal) {
      console.log(`${id}: ${await act(id!, temporal)}`);
      return 0;
    },
  });

export const scheduleCreate = command({
  about: 'run a lab on a timetable (default every day at 03:00 UTC)',
  flags: createFlags,
  async run({ flags }, temporal) {
    const req = scheduleRequest(flags);
    const { client } = await temporal();
    const handle = await client.schedule.create(scheduleOptions(req));
    const { info } = await handle.describe();
    console.log(
      `${handle.scheduleId}: created; next runs ${info.nextActionTimes
        .slice(0, 3)
        .map((t) => t.toISOString())
        .join(', ')}`,
    );
    return 0;
  },
});

export const scheduleCommands: Record<string, Group> = {
  schedule: {
    about: 'labs on a timetable, as Temporal Schedules',
    commands: {
      create: scheduleCreate,
      list: command({
        about: 'the schedules, their timetable, next run and last lab',
        flags: {},
        async run(_input, temporal) {
          const { client } = await temporal();
          for await (const s of client.schedule.list()) {
            const spec = String(s.memo?.timetable ?? '-');
            const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
            const last = s.info.recentActions.at(-1);
            console.log(
              `${s.scheduleId.padEnd(20)} ${s.state.paused ? 'paused ' : 'active '} ${spec.padEnd(24)} next ${next}  last ${last?.action.workflow.workflowId ?? '-'}`,
            );
          }
          return 0;
        },
      }),
      pause: onSchedule('start no more labs until unpaused', async (id, temporal) => {
        await (await temporal()).client.schedule.getHandle(id).pause('paused from the CLI');
        return 'paused';
      }),
      unpause: onSchedule('start labs on the timetable again', async (id, temporal) => {
        await (await temporal()).client.schedule.getHandle(id).unpause('unpaused from the CLI');
        return 'unpaused';
      }),
      trigger: onSchedule('start a lab now (skipped while a lab of it still runs)', async (id, temporal) => {
        const ctx = await temporal();
        const handle = ctx.client.schedule.getHandle(id);
        const { action } = await handle.describe();
        const target = labTargets.find((t) => action.type === 'startWorkflow' && taskQueueFor(t) === action.taskQueue);
        if (!target) throw new UsageError(`${id} starts no lab on a target's task queue: nothing to trigger`);
        await ensureWorker(ctx, target);
        await handle.trigger();
        return 'triggered (skipped if a lab of it is still running)';
      }),
      delete: onSchedule('delete the schedule (labs already running go on)', async (id, temporal) => {
        await (await temporal()).client.schedule.getHandle(id).delete();
        return 'deleted (labs already running go on)';
      }),
    },
  },
};
