// `npm run start-lab`: checks the spec, brings the sandbox up when that is the target (installing
// it the first time) with a worker, starts the lab workflow, follows it until it ends, and exits
// with the lab's code: 0 passed, 1 failed and torn down, 2 invalid input, 3 teardown incomplete.
import { createInterface } from 'node:readline/promises';
import { labPlan, labPlanMarkdown, labSummary } from '../lab/plan.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { exitCodes } from '../lab/signals.js';
import { taskQueueFor } from '../lab/targets.js';
import { workflowUrl } from '../lab/report.js';
import { validateSpec } from '../lab/spec.js';
import { ProfileInUse, up, type Profile } from '../sandbox/sandbox.js';
import { command, reachTemporal, runCli, UsageError } from './cli.js';
import { followToExit } from './follow.js';
import { defaultLabId, problemLines, specOf, startFlags } from './options.js';
import { lookUpKubernetes } from './plan-versions.js';
import { ensureWorker } from './worker-process.js';
import { awsTarget, sandboxTarget } from '../worker/config.js';

/** The sandbox up, on the profile asked for: one that cannot be had is the flag's problem (exit 2). */
async function upWithProfile(profile: Profile | undefined): Promise<void> {
  try {
    await up({ profile });
  } catch (err) {
    if (err instanceof ProfileInUse) throw new UsageError(`--profile ${profile}: ${err.message}`);
    throw err;
  }
}

const startLab = command({
  about: 'run one lab: the sandbox is brought up when it is the target; exits 0 passed, 1 failed, 2 invalid, 3 left',
  flags: startFlags,
  async run({ flags }, temporal) {
    const input = specOf(flags, flags['lab-id'] ?? defaultLabId());
    // Bad input is refused here, before anything is made, each problem with its flag.
    const { spec, problems } = validateSpec(input);
    if (!spec) {
      console.error(['The lab was not started:', ...problemLines(problems)].join('\n'));
      return exitCodes.invalid;
    }
    const profile = flags.profile;
    if (profile !== undefined && profile !== 'fast' && profile !== 'realistic') {
      console.error(`  --profile: must be fast or realistic, not ${profile}`);
      return exitCodes.invalid;
    }
    if (spec.target === 'sandbox') await upWithProfile(profile);
    // The Kubernetes version is checked with EKS before anything starts (validateLab checks again).
    const { resolved, problem } = await lookUpKubernetes(spec);
    if (problem) {
      console.error(['The lab was not started:', ...problemLines([problem])].join('\n'));
      return exitCodes.invalid;
    }
    if (spec.target === 'aws' || flags.plan) {
      console.log(`Lab ${spec.labId} on ${spec.target} will create, in this order:`);
      for (const [i, step] of labPlan(spec, resolved).entries()) console.log(`  ${i + 1}. ${step}`);
      if (flags.plan) return 0;
    }
    if (spec.target === 'aws' && !flags.yes) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question('These cost money while they exist. Start? [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return exitCodes.invalid;
    }

    const ctx = await temporal();
    await ensureWorker(ctx, spec.target);

    let handle;
    try {
      handle = await ctx.client.workflow.start('networkLab', {
        taskQueue: taskQueueFor(spec.target),
        workflowId: spec.labId,
        args: [input],
        staticSummary: labSummary(spec),
        staticDetails: labPlanMarkdown(spec, resolved),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      console.error(
        `A lab with id ${spec.labId} is already running: follow it with \`npm run lab -- watch ${spec.labId}\`, or pick another --lab-id`,
      );
      return exitCodes.invalid;
    }
    const webUi = (spec.target === 'sandbox' ? sandboxTarget(spec.region) : awsTarget(spec.region)).webUi;
    const ui = workflowUrl(webUi, ctx.namespace, spec.labId);
    console.log(`lab ${spec.labId} started; Web UI: ${ui}`);
    if (flags.detach) {
      console.log(spec.labId);
      return 0;
    }
    return followToExit(handle);
  },
});

process.exit(await runCli('start-lab', startLab, process.argv.slice(2), reachTemporal));
