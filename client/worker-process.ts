// Before a command starts a workflow (start-lab, lab sweep, schedule trigger) it makes sure a
// worker polls the target's task queue: on the sandbox, when none does, it starts one in the
// background (log in .netlab/logs/worker.log), as `npm run worker` would. Workers of the other
// target poll another queue and are never counted.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TemporalClient } from '../activities/temporal.js';
import { taskQueueFor, type LabTarget } from '../lab/targets.js';
import { projectRoot } from '../lab/local.js';
import { startDaemon } from '../sandbox/processes.js';
import { UsageError } from './cli.js';

export async function workerPolls(client: Client, namespace: string, target: LabTarget): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueueFor(target) },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (res.pollers ?? []).length > 0;
}

/** Starts the sandbox's background worker, as `npm run worker` would, unless it already runs. */
export const startSandboxWorker = (client: Client, namespace: string): Promise<unknown> =>
  startDaemon(
    {
      name: 'worker',
      command: process.execPath,
      args: ['--import', 'tsx', join(projectRoot, 'worker', 'main.ts')],
      env: { NETLAB_TARGET: 'sandbox' },
      ready: () => workerPolls(client, namespace, 'sandbox'),
    },
    120_000,
  );

export async function ensureSandboxWorker(client: Client, namespace: string): Promise<'started' | 'running'> {
  if (await workerPolls(client, namespace, 'sandbox')) return 'running';
  await startSandboxWorker(client, namespace);
  return 'started';
}

/**
 * A worker for the target's queue, so a started workflow does not wait silently: the sandbox's
 * is started when missing; an AWS worker needs the user's credentials, so its absence is refused.
 */
export async function ensureWorker({ client, namespace }: TemporalClient, target: LabTarget): Promise<void> {
  if (target === 'sandbox') {
    if ((await ensureSandboxWorker(client, namespace)) === 'started')
      console.log('started a sandbox worker (log: .netlab/logs/worker.log)');
  } else if (!(await workerPolls(client, namespace, target)))
    throw new UsageError(
      `No worker polls task queue ${taskQueueFor(target)}: start one with AWS credentials: NETLAB_TARGET=${target} npm run worker`,
    );
}
