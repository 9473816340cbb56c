// A Schedule of labs on the sandbox's Temporal: runs are named after their scheduled time, a run
// due while the last lab still runs is skipped, pause stops new runs and delete removes the
// schedule. Every activity is a fake here, so each "lab" takes seconds and touches nothing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { LabActivities } from '../../activities/index.js';
import { parse, runCli } from '../../client/cli.js';
import { scheduleCommands, scheduleCreate, scheduleOptions, scheduleRequest } from '../../client/schedule.js';
import type { LabOutcome } from '../../lab/signals.js';
import { labIdFromWorkflowId, validateSpec, type LabSpecInput } from '../../lab/spec.js';
import { endpoints } from '../../sandbox/config.js';
import { labActivities } from '../helpers/lab.js';
import { eventually, unique } from '../helpers/sandbox.js';

const everyMs = 2_000;
/** Longer than the interval, so the next run is due while this one still runs. */
const labMs = 5_000;
const stepMs = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const seenLabIds: string[] = [];

/** Every activity of the lab, faked: each resolves after a short delay; deploy takes labMs. */
function fakeActivities(): LabActivities {
  const after =
    <T>(ms: number, value: T) =>
    async (): Promise<T> => {
      await sleep(ms);
      return value;
    };
  const fakes = Object.fromEntries(Object.keys(labActivities).map((k) => [k, after(stepMs, undefined)]));
  return {
    ...(fakes as unknown as LabActivities),
    async validateLab(input: LabSpecInput) {
      seenLabIds.push(input.labId);
      const { spec, problems } = validateSpec(input);
      if (!spec) throw new Error(JSON.stringify(problems));
      return {
        spec,
        zones: ['a', 'b', 'c'],
        limits: { maxEnis: 3, ipv4PerEni: 6 } as never,
        kubernetes: { version: '1.36', status: 'STANDARD_SUPPORT', supportType: 'STANDARD', addons: [] },
      };
    },
    createNetworkStack: after(labMs, {} as never),
    createCluster: after(stepMs, { name: 'fake', version: '1.31' } as never),
    createAddons: after(stepMs, []),
    findLeftovers: after(stepMs, []),
  };
}

const id = unique('s');
const connection = await Connection.connect({ address: endpoints.temporal });
const client = new Client({ connection });
const ctx = { client, namespace: 'default', close: async () => undefined };
const started = new Set<string>();
const schedule = (args: string[]): Promise<number> =>
  runCli('lab schedule', scheduleCommands.schedule!, args, async () => ctx);

after(async () => {
  await client.schedule
    .getHandle(id)
    .delete()
    .catch(() => undefined);
  for (const workflowId of started) {
    await client.workflow
      .getHandle(workflowId)
      .terminate('schedule test cleanup')
      .catch(() => undefined);
  }
  await connection.close();
});

test('scheduled labs: ids from the scheduled time, overlaps skipped, pause and delete', async (t) => {
  const logged: string[] = [];
  t.mock.method(console, 'log', (line: string) => void logged.push(line));
  const input = parse(scheduleCreate, ['--id', id, '--every', `${everyMs / 1000}s`, '--ttl', '10m']);
  if (input === 'help') assert.fail('no --help was given');
  const req = scheduleRequest(input.flags);
  assert.equal(req.spec.labId, '', 'the schedule carries no lab id; each run takes its own');

  const taskQueue = unique('schedule-test');
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: endpoints.temporal }),
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    }),
    activities: fakeActivities(),
  });
  await worker.runUntil(async () => {
    const handle = await client.schedule.create(scheduleOptions(req, taskQueue));

    const info = await eventually(
      'two labs started and one skipped',
      async () => {
        const { info } = await handle.describe();
        for (const a of info.recentActions) started.add(a.action.workflow.workflowId);
        return info.numActionsTaken >= 2 && info.numActionsSkippedOverlap > 0 ? info : undefined;
      },
      45_000,
    );
    // Each run's workflow id is the schedule id plus the scheduled time; its lab id says the same, shorter.
    for (const action of info.recentActions) {
      const at = action.scheduledAt.toISOString();
      assert.equal(action.action.workflow.workflowId, `${id}-${at.slice(0, 19)}Z`);
      const stamp = `${at.slice(5, 7)}${at.slice(8, 10)}-${at.slice(11, 13)}${at.slice(14, 16)}`;
      const seconds = at.slice(17, 19) === '00' ? '' : at.slice(17, 19);
      assert.equal(labIdFromWorkflowId(action.action.workflow.workflowId), `${id}-${stamp}${seconds}`);
    }
    await eventually('the first lab to validate', async () => (seenLabIds.length > 0 ? true : undefined), 10_000);
    for (const labId of seenLabIds) assert.match(labId, new RegExp(`^${id}-\\d{4}-\\d{4,6}$`));

    assert.equal(await schedule(['list']), 0);
    assert.ok(
      logged.some((l) => l.startsWith(id) && l.includes(`every ${everyMs / 1000}s`)),
      logged.join('\n'),
    );

    assert.equal(await schedule(['pause', id]), 0);
    const taken = (await handle.describe()).info.numActionsTaken;
    await sleep(labMs + everyMs);
    const paused = await handle.describe();
    assert.equal(paused.state.paused, true);
    assert.equal(paused.info.numActionsTaken, taken, 'no run starts while paused');
    for (const a of paused.info.recentActions) started.add(a.action.workflow.workflowId);

    assert.equal(await schedule(['delete', id]), 0);
    await assert.rejects(handle.describe(), ScheduleNotFoundError);

    // The labs it started finish on their own, each under its derived id.
    for (const workflowId of started) {
      const outcome = (await client.workflow.getHandle(workflowId).result()) as LabOutcome;
      assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
      assert.equal(outcome.report.labId, labIdFromWorkflowId(workflowId));
      started.delete(workflowId);
    }
  });
});
