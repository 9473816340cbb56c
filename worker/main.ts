// `npm run worker`: one worker process on its target's task queue (`eks-netlab-sandbox` or
// `eks-netlab-aws`), running the lab workflows and the activities against that target.
import '../activities/aws-sdk-env.js';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { taskQueueFor } from '../lab/targets.js';
import { temporalConnection } from '../activities/temporal.js';
import { targetFromEnv } from './config.js';

const target = targetFromEnv();
const taskQueue = taskQueueFor(target.kind);
const { connectionOptions, namespace } = temporalConnection();
const connection = await NativeConnection.connect(connectionOptions);
const worker = await Worker.create({
  connection,
  namespace,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  activities: createActivities(target),
});
console.log(
  `eks-netlab worker: task queue ${taskQueue} on ${connectionOptions.address} (${namespace}), target ${target.kind} ${target.region}`,
);
await worker.run();
