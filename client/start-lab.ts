// `npm run start-lab`: checks the spec, brings the sandbox up when that is the target (installing
// it the first time) with a worker, starts the lab workflow, follows it until it ends, and exits
// with the lab's code: 0 passed, 1 failed and torn down, 2 invalid input, 3 teardown incomplete.
import '../activities/aws-sdk-env.js';
import { createInterface } from 'node:readline/promises';
import { labPlan } from '../lab/plan.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { exitCodeOf, exitCodes, progressQuery } from '../lab/signals.js';
import { taskQueueFor } from '../lab/targets.js';
import { validateSpec } from '../lab/spec.js';
import { endpoints } from '../sandbox/config.js';
import { up, type Profile } from '../sandbox/sandbox.js';
import { connectClient } from '../activities/temporal.js';
import { currentWait } from './control.js';
import { followLab } from './follow.js';
import { flagOf, parseStartArgs, usage, withFlagNames } from './options.js';
import { lookUpKubernetes } from './plan-versions.js';
import { ensureSandboxWorker, workerPolls } from './worker-process.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return exitCodes.invalid;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  // Bad input is refused here, before anything is made, each problem with its flag.
  const { spec, problems } = validateSpec(options.spec);
  if (!spec) {
    console.error('The lab was not started:');
    for (const p of problems) console.error(`  ${flagOf[p.field.split('.')[0]!] ?? p.field}: ${p.message}`);
    return exitCodes.invalid;
  }
  if (options.profile !== 'fast' && options.profile !== 'realistic') {
    console.error(`  --profile: must be fast or realistic, not ${options.profile}`);
    return exitCodes.invalid;
  }
  // The Kubernetes version is checked with EKS before anything starts (validateLab checks again).
  const { resolved, problem } = await lookUpKubernetes(spec, options.profile);
  if (problem) {
    const message = problem.message.replaceAll('allowExtendedSupport', flagOf.allowExtendedSupport!);
    console.error(`The lab was not started:\n  ${flagOf[problem.field]}: ${message}`);
    return exitCodes.invalid;
  }
  if (spec.target === 'aws' || options.plan) {
    console.log(`Lab ${spec.labId} on ${spec.target} will create, in this order:`);
    for (const [i, step] of labPlan(spec, resolved).entries()) console.log(`  ${i + 1}. ${step}`);
    if (options.plan) return 0;
  }
  if (spec.target === 'aws' && !options.yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('These cost money while they exist. Start? [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) return exitCodes.invalid;
  }

  if (spec.target === 'sandbox') await up({ profile: options.profile as Profile });
  const taskQueue = taskQueueFor(spec.target);
  let temporal;
  try {
    temporal = await connectClient();
  } catch (err) {
    console.error(
      `Temporal is not reachable (${(err as Error).message.split('\n')[0]}): start it, or set TEMPORAL_ADDRESS`,
    );
    return exitCodes.invalid;
  }
  const { client, namespace, close } = temporal;
  if (spec.target === 'sandbox') {
    if ((await ensureSandboxWorker(client, namespace)) === 'started')
      console.log('started a sandbox worker (log: .netlab/logs/worker.log)');
  } else if (!(await workerPolls(client, namespace, spec.target))) {
    console.error(
      `No worker polls task queue ${taskQueue}: start one with AWS credentials: NETLAB_TARGET=aws npm run worker`,
    );
    return exitCodes.invalid;
  }

  let handle;
  try {
    handle = await client.workflow.start('networkLab', { taskQueue, workflowId: spec.labId, args: [options.spec] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    console.error(
      `A lab with id ${spec.labId} is already running: follow it with \`npm run lab -- watch ${spec.labId}\`, or pick another --lab-id`,
    );
    return exitCodes.invalid;
  }
  const ui = `${spec.target === 'sandbox' ? endpoints.temporalUi : 'https://cloud.temporal.io'}/namespaces/${namespace}/workflows/${spec.labId}`;
  console.log(`lab ${spec.labId} started; Web UI: ${ui}`);
  if (options.detach) {
    console.log(spec.labId);
    return 0;
  }
  let outcome;
  try {
    outcome = await followLab(
      handle,
      () => handle.query(progressQuery),
      () => currentWait(handle),
    );
  } catch (err) {
    // Terminated or timed out: no teardown ran, so what the lab made may be left.
    console.error(`lab ${spec.labId} ended without an outcome: ${(err as Error).message}`);
    console.error('what it made may be left: `npm run lab -- sweep` deletes it');
    await close();
    return exitCodes.leaked;
  }
  if (outcome.reportDir) console.log(`report: ${outcome.reportDir}/report.html (and report.md, report.json)`);
  await close();
  const code = exitCodeOf(outcome.report);
  // Refused at validation by the worker's look-ups (region, instance type, version, domain): say
  // which flag to fix, as the client's own checks do.
  if (code === exitCodes.invalid && outcome.report.error)
    console.error(`The lab was not started: ${withFlagNames(outcome.report.error)}`);
  return code;
}

process.exit(await main());
