// Following and steering one lab: status, watch, list, and the signals (extend-ttl,
// teardown-now, hold, release) plus cancel, which still tears everything down.
import type { WorkflowHandle } from '@temporalio/client';
import { formatSeconds } from '../lab/duration.js';
import { phaseTitles } from '../lab/phases.js';
import type { LabReport } from '../lab/report.js';
import { extendTtlSignal, holdSignal, progressQuery, releaseSignal, teardownNowSignal } from '../lab/signals.js';
import { parseDuration } from '../lab/spec.js';
import { command, UsageError, type Command, type Positional } from './cli.js';
import { currentWait, followToExit } from './follow.js';

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

const labId: Positional = { name: 'lab-id', help: 'the lab, as `npm run lab -- list` shows it' };

/** A command about one lab: `act` gets the lab's workflow and returns the exit code. */
const onLab = (about: string, act: (h: WorkflowHandle) => Promise<number>): Command =>
  command({
    about,
    args: [labId],
    flags: {},
    async run({ args: [id] }, temporal) {
      const { client } = await temporal();
      return act(client.workflow.getHandle(id!));
    },
  });

/** A command that sends one lab a signal (or a cancel) and says so. */
const signal = (about: string, send: (h: WorkflowHandle) => Promise<void>, said: string): Command =>
  onLab(about, async (h) => {
    await send(h);
    console.log(`${h.workflowId}: ${said}`);
    return 0;
  });

export const controlCommands: Record<string, Command> = {
  status: onLab('phases, timings, TTL and the current wait', async (handle) => {
    for (const line of statusLines(await handle.query(progressQuery))) console.log(line);
    const wait = await currentWait(handle);
    if (wait) console.log(`  now: ${wait}`);
    return 0;
  }),
  watch: onLab(
    "follow a lab until it ends; exits with start-lab's codes (0 passed, 1 failed, 2 invalid, 3 left)",
    followToExit,
  ),
  list: command({
    about: 'recent labs with their phase and result (a visibility query filters)',
    args: [{ name: 'query', help: "a Temporal visibility query (default WorkflowType = 'networkLab')", rest: true }],
    flags: {},
    async run({ args }, temporal) {
      const { client } = await temporal();
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
  }),
  'extend-ttl': command({
    about: 'push the TTL out',
    args: [labId, { name: 'duration', help: 'how much longer, such as 30m or 2h' }],
    flags: {},
    async run({ args: [id, duration] }, temporal) {
      if (!parseDuration(duration!))
        throw new UsageError(`<duration> ${duration}: must be a duration from 1s to 168h (7 days), such as 30m or 2h`);
      const { client } = await temporal();
      await client.workflow.getHandle(id!).signal(extendTtlSignal, duration!);
      console.log(`${id}: TTL extended`);
      return 0;
    },
  }),
  'teardown-now': signal('stop the tests and tear down', (h) => h.signal(teardownNowSignal), 'teardown requested'),
  hold: signal('stay up after the tests until released or the TTL fires', (h) => h.signal(holdSignal), 'held'),
  release: signal('let a held lab tear down', (h) => h.signal(releaseSignal), 'released'),
  cancel: signal(
    'cancel the lab; it still tears everything down',
    async (h) => void (await h.cancel()),
    'cancel requested (teardown runs)',
  ),
};
