// Runs networkLab on the sandbox's dev server with a worker in this process, so a test can
// replace one activity with a failing one and then check what the lab left behind.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type LabActivities } from '../../activities/index.js';
import { labOutcome } from '../../client/follow.js';
import { sandboxTarget } from '../../worker/config.js';
import type { LabOutcome } from '../../lab/signals.js';
import type { LabSpecInput } from '../../lab/spec.js';
import { endpoints } from '../../sandbox/config.js';
import { unique } from './sandbox.js';

// Workers in tests say only what went wrong.
Runtime.install({ logger: new DefaultLogger('WARN') });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
const workflowBundle = (): Promise<WorkflowBundleWithSourceMap> =>
  (bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  }));

export const labActivities = createActivities(sandboxTarget());

/** An activity that always fails and is not retried: how a test breaks one phase. */
export const failing = (name: string) => async (): Promise<never> => {
  throw ApplicationFailure.nonRetryable(`${name} failed on purpose`, 'InjectedFault');
};

/** The sandbox spec every lab test starts from. */
export function sandboxSpec(overrides: Partial<LabSpecInput> = {}): LabSpecInput {
  return {
    labId: unique('t'),
    createZone: true,
    iperf3: { seconds: 1, parallel: 2, udpBandwidth: '1G' },
    ...overrides,
  };
}

/**
 * Runs one lab to its end with the given activities replaced; returns its outcome, the workflow's
 * status (COMPLETED when it passed, FAILED when not) and its history size.
 */
export async function runLab(
  spec: LabSpecInput,
  overrides: Partial<LabActivities> = {},
): Promise<LabOutcome & { status: string; historyEvents: number }> {
  const lab = await startLab(spec, overrides);
  try {
    const outcome = await labOutcome(lab.handle);
    const history = await lab.handle.fetchHistory();
    const { status } = await lab.handle.describe();
    return { ...outcome, status: status.name, historyEvents: history.events?.length ?? 0 };
  } finally {
    await lab.stop();
  }
}

/** A worker in this process on a task queue of its own, and a client; `stop` shuts both down. */
export async function startWorker(overrides: Partial<LabActivities> = {}) {
  const taskQueue = unique('lab-test');
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: endpoints.temporal }),
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...labActivities, ...overrides },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: endpoints.temporal });
  const client = new Client({ connection });
  const stop = async (): Promise<void> => {
    worker.shutdown();
    await running;
    await connection.close();
  };
  return { client, taskQueue, running, stop };
}

/** Starts one lab with a worker in this process and returns at once; `stop` shuts the worker down. */
export async function startLab(spec: LabSpecInput, overrides: Partial<LabActivities> = {}) {
  const started = await startWorker(overrides);
  try {
    const handle = await started.client.workflow.start('networkLab', {
      taskQueue: started.taskQueue,
      workflowId: spec.labId,
      args: [spec],
    });
    return { handle, ...started };
  } catch (err) {
    await started.stop();
    throw err;
  }
}
