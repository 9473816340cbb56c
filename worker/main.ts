// `npm run worker`: one worker process on task queue `eks-netlab`, running the lab workflows and
// the activities against the configured target.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { taskQueue } from '../lab/signals.js';
import { temporalConnection } from '../activities/temporal.js';
import { targetFromEnv } from './config.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const target = targetFromEnv();
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
