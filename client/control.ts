// Following and steering one lab: status, watch, list, and the signals (extend-ttl,
// teardown-now, hold, release) plus cancel, which still tears everything down.
import type { WorkflowHandle } from '@temporalio/client';
import { formatSeconds } from '../lab/duration.js';
import { phaseTitles } from '../lab/phases.js';
import type { LabReport } from '../lab/report.js';
import {
  exitCodeOf,
  extendTtlSignal,
  holdSignal,
  progressQuery,
  releaseSignal,
  teardownNowSignal,
} from '../lab/signals.js';
import { parseDuration } from '../lab/spec.js';
import { followLab } from './follow.js';
import { UsageError } from './options.js';
import type { Command } from './lab.js';

/** What the running activity is waiting for, from its last heartbeat ("nodes Ready 2/3"). */
export async function currentWait(handle: WorkflowHandle): Promise<string | undefined> {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities?.[0];
  if (!pending) return undefined;
  const name = pending.activityType?.name ?? 'activity';
  const payload = pending.heartbeatDetails?.payloads?.[0]?.data;
  if (!payload) return name;
  const detail = JSON.parse(Buffer.from(payload).toString()) as { waitingFor?: string; state?: string };
  return `${name}: ${detail.state ?? detail.waitingFor ?? ''}`;
}

export function statusLines(r: LabReport): string[] {
  const lines = [
    `${r.labId}  ${r.outcome}  target ${r.target} ${r.region}${r.ttlDeadline ? `  TTL ${r.ttlDeadline}` : ''}${r.held ? '  held' : ''}`,
  ];
  for (const p of r.phases) {
    const took = p.durationMs !== undefined ? ` ${formatSeconds(p.durationMs)}` : '';
    lines.push(`  ${p.status.padEnd(9)} ${phaseTitles[p.phase]}${took}${p.error ? `: ${p.error}` : ''}`);
  }
  return lines;
}

const needId = (args: string[]): string => {
  if (!args[0]) throw new UsageError('give the lab id (see `npm run lab -- list`)');
  return args[0];
};

const signal =
  (send: (h: WorkflowHandle, args: string[]) => Promise<void>, said: string): Command =>
  async (args, { client }) => {
    const handle = client.workflow.getHandle(needId(args));
    await send(handle, args.slice(1));
    console.log(`${args[0]}: ${said}`);
    return 0;
  };

export const controlCommands: Record<string, { usage: string; run: Command }> = {
  status: {
    usage: 'status <lab-id>              phases, timings, TTL and the current wait',
    run: async (args, { client }) => {
      const handle = client.workflow.getHandle(needId(args));
      for (const line of statusLines(await handle.query(progressQuery))) console.log(line);
      const wait = await currentWait(handle);
      if (wait) console.log(`  now: ${wait}`);
      return 0;
    },
  },
  watch: {
    usage: 'watch <lab-id>               follow a lab until it ends',
    run: async (args, { client }) => {
      const handle = client.workflow.getHandle(needId(args));
      const outcome = await followLab(
        handle,
        () => handle.query(progressQuery),
        () => currentWait(handle),
      );
      return exitCodeOf(outcome.report);
    },
  },
  list: {
    usage: 'list [query]                 recent labs with their phase and result (a visibility query filters)',
    run: async (args, { client }) => {
      const query = args.join(' ') || "WorkflowType = 'networkLab'";
      for await (const wf of client.workflow.list({ query, pageSize: 20 })) {
        const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
        const field = (k: string): string => String(sa[k]?.[0] ?? '-');
        console.log(
          `${wf.workflowId.padEnd(24)} ${wf.status.name.padEnd(11)} phase ${field('LabPhase').padEnd(12)} result ${field('LabResult').padEnd(20)} ${field('LabTarget')}  ${wf.startTime.toISOString()}`,
        );
      }
      return 0;
    },
  },
  'extend-ttl': {
    usage: 'extend-ttl <lab-id> <30m>    push the TTL out',
    run: signal(async (h, [duration]) => {
      if (!duration || !parseDuration(duration))
        throw new UsageError(
          `<duration> ${duration ?? '(missing)'}: must be a duration from 1s to 168h (7 days), such as 30m or 2h`,
        );
      await h.signal(extendTtlSignal, duration);
    }, 'TTL extended'),
  },
  'teardown-now': {
    usage: 'teardown-now <lab-id>        stop the tests and tear down',
    run: signal((h) => h.signal(teardownNowSignal), 'teardown requested'),
  },
  hold: {
    usage: 'hold <lab-id>                stay up after the tests until released or the TTL fires',
    run: signal((h) => h.signal(holdSignal), 'held'),
  },
  release: {
    usage: 'release <lab-id>             let a held lab tear down',
    run: signal((h) => h.signal(releaseSignal), 'released'),
  },
  cancel: {
    usage: 'cancel <lab-id>              cancel the lab; it still tears everything down',
    run: signal(async (h) => void (await h.cancel()), 'cancel requested (teardown runs)'),
  },
};
