// `npm run lab -- schedule …`: nightly (or hourly…) labs as a Temporal Schedule. Each run starts
// networkLab with the same spec and no lab id; the workflow names the lab from its workflow id,
// which the schedule makes from its own id plus the scheduled time (nightly-1128-0300).
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { exitCodes } from '../lab/signals.js';
import { taskQueueFor } from '../lab/targets.js';
import { labIdFromWorkflowId, parseDuration, validateSpec, type LabSpecInput, type SpecProblem } from '../lab/spec.js';
import type { Command } from './lab.js';
import { flagOf, parseStartArgs } from './options.js';

export const scheduleUsage = `schedule create [--id nightly] [--cron "0 3 * * *" | --every 1h] [--tz Asia/Seoul] [start-lab flags]
                               run a lab on a timetable (default every day at 03:00)
  schedule list | pause <id> | unpause <id> | trigger <id> | delete <id>`;

export interface ScheduleRequest {
  id: string;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  /** The lab spec every run gets; its labId is empty so each run takes its own. */
  spec: LabSpecInput;
}

const ownFlags = ['--id', '--cron', '--every', '--tz'] as const;

/** `schedule create`'s flags: its own, then start-lab's for the spec, validated as start-lab would. */
export function parseScheduleCreate(argv: string[]): ScheduleRequest {
  const own: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split(/=(.*)/s) as [string, string | undefined];
    if (!(ownFlags as readonly string[]).includes(flag)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    own[flag] = value;
  }
  if (rest.includes('--lab-id')) throw new Error('scheduled labs are named after the schedule: use --id, not --lab-id');
  const id = own['--id'] ?? 'nightly';
  const everyMs = own['--every'] === undefined ? undefined : parseDuration(own['--every']);
  if (own['--every'] !== undefined && !everyMs) throw new Error('--every needs a duration such as 1h or 30m');
  if (everyMs && own['--cron']) throw new Error('give --cron or --every, not both');
  const cron = everyMs ? undefined : (own['--cron'] ?? '0 3 * * *');

  const { spec } = parseStartArgs(rest);
  // Validate with the id the first run would get, so a bad schedule id is reported like a bad lab id.
  const probe = labIdFromWorkflowId(`${id}-2000-01-01T00:00:00Z`);
  const problems: SpecProblem[] = validateSpec({ ...spec, labId: probe }).problems;
  if (!/^[a-z][a-z0-9-]*$/.test(id))
    problems.push({ field: 'id', message: 'must be lower-case letters, digits or dashes' });
  if (problems.length > 0) {
    const name = (field: string): string => (field === 'id' ? '--id' : (flagOf[field] ?? field));
    throw new Error(problems.map((p) => `${name(p.field)}: ${p.message}`).join('; '));
  }
  return { id, cron, everyMs, timezone: own['--tz'], spec: { ...spec, labId: '' } };
}

/** How people wrote the timetable (Temporal describes cron as calendars). */
const timetable = (req: ScheduleRequest): string =>
  `${req.everyMs ? `every ${req.everyMs / 1000}s` : `cron ${req.cron}`}${req.timezone ? ` ${req.timezone}` : ''}`;

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
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h', pauseOnFailure: true },
  };
}

const needId = (args: string[]): string => {
  if (!args[0]) throw new Error('give the schedule id (see `npm run lab -- schedule list`)');
  return args[0];
};

/** Each returns its exit code, or nothing for 0. */
const subcommands: Record<string, (args: string[], client: Client) => Promise<number | void>> = {
  async create(args, client) {
    let req: ScheduleRequest;
    try {
      req = parseScheduleCreate(args);
    } catch (err) {
      console.error(`schedule create: ${(err as Error).message}`);
      return exitCodes.invalid;
    }
    const handle = await client.schedule.create(scheduleOptions(req));
    const { info } = await handle.describe();
    console.log(
      `${handle.scheduleId}: created; next runs ${info.nextActionTimes
        .slice(0, 3)
        .map((t) => t.toISOString())
        .join(', ')}`,
    );
  },
  async list(_args, client) {
    for await (const s of client.schedule.list()) {
      const spec = String(s.memo?.timetable ?? '-');
      const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
      const last = s.info.recentActions.at(-1);
      console.log(
        `${s.scheduleId.padEnd(20)} ${s.state.paused ? 'paused ' : 'active '} ${spec.padEnd(24)} next ${next}  last ${last?.action.workflow.workflowId ?? '-'}`,
      );
    }
  },
  async pause(args, client) {
    await client.schedule.getHandle(needId(args)).pause('paused from the CLI');
    console.log(`${args[0]}: paused`);
  },
  async unpause(args, client) {
    await client.schedule.getHandle(needId(args)).unpause('unpaused from the CLI');
    console.log(`${args[0]}: unpaused`);
  },
  async trigger(args, client) {
    await client.schedule.getHandle(needId(args)).trigger();
    console.log(`${args[0]}: triggered (skipped if a lab of it is still running)`);
  },
  async delete(args, client) {
    await client.schedule.getHandle(needId(args)).delete();
    console.log(`${args[0]}: deleted (labs already running go on)`);
  },
};

export const scheduleCommands: Record<string, { usage: string; run: Command }> = {
  schedule: {
    usage: scheduleUsage,
    run: async ([sub = '', ...args], { client }) => {
      const run = subcommands[sub];
      if (!run) {
        console.log(`npm run lab -- ${scheduleUsage}`);
        return 2;
      }
      return (await run(args, client)) ?? 0;
    },
  },
};
