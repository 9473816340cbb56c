// Records networkLab histories for the replay test (test/unit/workflow-replay.test.ts): each way a
// lab can end, run with stand-in activities on a real Temporal server, saved as JSON. Run it
// against the workflow code a deployed worker runs, before changing that code:
//   tsx test/helpers/record-histories.ts --workflows <path>/workflows/index.ts --out test/fixtures/histories/<version>
// (NETLAB_TEMPORAL_PORT picks the server; the sandbox's dev server by default.)
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { LabActivities } from '../../activities/index.js';
import { extendTtlSignal, holdSignal, progressQuery, releaseSignal, teardownNowSignal } from '../../lab/signals.js';
import type { LabSpecInput } from '../../lab/spec.js';
import { endpoints, projectRoot } from '../../sandbox/config.js';
import { endless, failingFake, fakeLabActivities } from './fake-lab.js';
import { eventually, unique } from './sandbox.js';

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: join(projectRoot, 'workflows/index.ts') },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
if (!values.out) throw new Error('give --out <dir>');
const out = resolve(values.out);

const { History } = proto.temporal.api.history.v1;
/**
 * protobufjs's own JSON form (enums by name, 64-bit numbers as strings, bytes in base64), read back
 * with `History.fromObject`. (The SDK's historyToJSON trips over the two protobufjs copies installed.)
 */
const historyJson = (history: proto.temporal.api.history.v1.IHistory): string =>
  JSON.stringify(History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String }));

const phaseIs = async (h: WorkflowHandle, phase: string, status: string): Promise<true | undefined> =>
  (await h.query(progressQuery)).phases.find((p) => p.phase === phase)?.status === status ? true : undefined;

interface Scenario {
  spec?: Partial<LabSpecInput>;
  activities?: Partial<LabActivities>;
  /** What the test does to the running lab. */
  steer?: (h: WorkflowHandle) => Promise<void>;
}

const scenarios: Record<string, Scenario> = {
  passed: {},
  'failed-in-density': { activities: { podDensity: failingFake('podDensity') } },
  invalid: { spec: { instanceType: 'not a type' } },
  'teardown-incomplete': {
    activities: { findLeftovers: async () => [{ kind: 'vpc', id: 'vpc-left' }] },
  },
  cancelled: {
    activities: { podDensity: endless },
    steer: async (h) => {
      await eventually('density running', () => phaseIs(h, 'density', 'running'));
      await h.cancel();
    },
  },
  'teardown-now': {
    activities: { podDensity: endless },
    steer: async (h) => {
      await eventually('density running', () => phaseIs(h, 'density', 'running'));
      await h.signal(teardownNowSignal);
    },
  },
  'ttl-fired': { spec: { ttl: '3s' }, activities: { podDensity: endless } },
  'held-then-released': {
    spec: { keep: true },
    steer: async (h) => {
      await eventually('held after the report', () => phaseIs(h, 'report', 'passed'));
      await h.signal(extendTtlSignal, '30m');
      await h.signal(holdSignal);
      await h.signal(releaseSignal);
    },
  },
  // From v2 on (with v1's code the hold ignores a cancel, and this lab never ends).
  'cancelled-while-held': {
    spec: { keep: true },
    steer: async (h) => {
      await eventually('held after the report', () => phaseIs(h, 'report', 'passed'));
      await h.cancel();
    },
  },
};

const connection = await Connection.connect({ address: endpoints.temporal });
const client = new Client({ connection });
const taskQueue = unique('record-histories');
let current = fakeLabActivities();
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: endpoints.temporal }),
  taskQueue,
  workflowsPath: resolve(values.workflows),
  // Each scenario swaps in its own stand-ins: a worker per scenario would rebundle the workflows.
  activities: Object.fromEntries(
    Object.keys(fakeLabActivities()).map((k) => [
      k,
      (...args: unknown[]) => (current[k as keyof LabActivities] as (...a: unknown[]) => unknown)(...args),
    ]),
  ),
});
await mkdir(out, { recursive: true });
await worker.runUntil(async () => {
  for (const [name, s] of Object.entries(scenarios)) {
    if (values.only && values.only !== name) continue;
    current = fakeLabActivities(s.activities);
    const spec: LabSpecInput = { labId: unique('h'), phases: ['density', 'lbController'], ...s.spec };
    const handle = await client.workflow.start('networkLab', {
      taskQueue,
      workflowId: `${spec.labId}-${name}`,
      args: [spec],
    });
    await s.steer?.(handle);
    await handle.result().catch(() => undefined);
    await writeFile(join(out, `${name}.json`), historyJson(await handle.fetchHistory()) + '\n');
    console.log(`${name}: ${(await handle.describe()).status.name}`);
  }
});
await connection.close();
