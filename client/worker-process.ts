// For the sandbox target, `start-lab` makes sure a worker polls the sandbox's task queue: when
// none does, it starts one in the background (log in .netlab/logs/worker.log), as `npm run
// worker` would. Workers of the other target poll another queue and are never counted.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { taskQueueFor, type LabTarget } from '../lab/targets.js';
import { projectRoot } from '../lab/local.js';
import { startDaemon } from '../sandbox/processes.js';

export async function workerPolls(client: Client, namespace: string, target: LabTarget): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueueFor(target) },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (res.pollers ?? []).length > 0;
}

export async function ensureSandboxWorker(client: Client, namespace: string): Promise<'started' | 'running'> {
  if (await workerPolls(client, namespace, 'sandbox')) return 'running';
  await startDaemon(
    {
      name: 'worker',
      command: process.execPath,
      args: ['--import', 'tsx', join(projectRoot, 'worker', 'main.ts')],
      env: { NETLAB_TARGET: 'sandbox', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      ready: () => workerPolls(client, namespace, 'sandbox'),
    },
    120_000,
  );
  return 'started';
}
