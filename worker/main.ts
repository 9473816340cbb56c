// `npm run worker`: one worker process on its target's task queue (`eks-netlab-sandbox` or
// `eks-netlab-aws`), running the lab workflows and the activities against that target. Any
// number of them may poll one queue, on one machine or several (docs/worker.md).
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { taskQueueFor } from '../lab/targets.js';
import { temporalConnection } from '../activities/temporal.js';
import { workflowCode } from './bundle.js';
import { targetFromEnv } from './config.js';
import { installRuntime, shutdownOptions } from './runtime.js';

const metricsUrl = installRuntime();
const target = targetFromEnv();
const taskQueue = taskQueueFor(target.kind);
const code = workflowCode();
console.log(`eks-netlab worker: Node.js ${process.versions.node}, runs ${code.description}`);
const { connectionOptions, namespace } = temporalConnection();
const connection = await NativeConnection.connect(connectionOptions);
const worker = await Worker.create({
  connection,
  namespace,
  taskQueue,
  ...code.options,
  activities: createActivities(target),
  ...shutdownOptions,
});
console.log(
  `eks-netlab worker: task queue ${taskQueue} on ${connectionOptions.address} (${namespace}), target ${target.kind} ${target.region}; metrics ${metricsUrl ?? 'off (NETLAB_METRICS_PORT sets a port)'}`,
);
await worker.run();
console.log('eks-netlab worker: stopped; its running activities finished or went back to the queue');
await connection.close();
