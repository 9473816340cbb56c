// The saga's compensation order, without a sandbox: the lab workflow on stand-in activities in
// @temporalio/testing's environment, failing once at each create step and in each phase. Whatever
// fails, exactly the undos registered before it run, newest first, then the leak check. Whether
// real undos leave nothing behind is test/lab/failures.test.ts's question.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { LabActivities } from '../../activities/index.js';
import { labOutcome } from '../../client/follow.js';
import type { PhaseId } from '../../lab/phases.js';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import type { LabOutcome } from '../../lab/signals.js';
import { toolPaths } from '../../sandbox/tools.js';
import { failingFake, fakeLabActivities } from '../helpers/fake-lab.js';
import { sandboxSpec } from '../helpers/lab.js';
import { unique } from '../helpers/sandbox.js';

type Activity = keyof LabActivities;

/** Every undo activity, in the order they run after a lab that made everything. */
const newestFirst: Activity[] = [
  'deleteIperf3Test',
  'deleteDnsTest',
  'deleteIngressTest',
  'deleteNlbTest',
  'uninstallLbController',
  'deleteIam',
  'deleteDensityWorkload',
  'deleteNodegroups',
  'deleteCluster',
  'deleteNetworkStack',
];
const undoActivities = new Set<Activity>(newestFirst);
/** The undos from `first` on, newest first. */
const from = (first: Activity): Activity[] => newestFirst.slice(newestFirst.indexOf(first));

const cases: { failing: Activity; phase: PhaseId; undos: Activity[] }[] = [
  // An undo is registered before its create runs: a create that failed half way is undone too.
  { failing: 'createNetworkStack', phase: 'deploy', undos: from('deleteNetworkStack') },
  { failing: 'createCluster', phase: 'deploy', undos: from('deleteCluster') },
  { failing: 'createNodegroup', phase: 'deploy', undos: from('deleteNodegroups') },
  { failing: 'createAddons', phase: 'deploy', undos: from('deleteNodegroups') },
  { failing: 'waitForNodes', phase: 'nodes', undos: from('deleteNodegroups') },
  { failing: 'verifyNetworking', phase: 'networking', undos: from('deleteNodegroups') },
  { failing: 'podDensity', phase: 'density', undos: from('deleteDensityWorkload') },
  // The IAM undo is registered first, so it runs after the controller's uninstall.
  { failing: 'installLbController', phase: 'lbController', undos: from('uninstallLbController') },
  { failing: 'nlbTest', phase: 'nlb', undos: from('deleteNlbTest') },
  { failing: 'ingressTest', phase: 'ingress', undos: from('deleteIngressTest') },
  { failing: 'dnsTest', phase: 'externalDns', undos: from('deleteDnsTest') },
  { failing: 'iperf3Test', phase: 'iperf3', undos: from('deleteIperf3Test') },
];

/** The calls after `activity`'s, without the report written around the teardown. */
const callsAfter = (calls: Activity[], activity: Activity): Activity[] =>
  calls.slice(calls.indexOf(activity) + 1).filter((a) => a !== 'writeReport');

const temporalInstalled = existsSync(toolPaths.temporal);
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = unique('undo-order');
/** Activity calls by lab (workflow id), in the order the workflow made them. */
const calls = new Map<string, Activity[]>();
/** Per lab: the activity that fails, and an undo that fails too. */
const failures = new Map<string, Activity[]>();

/** The stand-ins, each recording its call and failing where the lab's test says so. */
function recordingActivities(): LabActivities {
  const fakes = fakeLabActivities();
  return Object.fromEntries(
    Object.entries(fakes).map(([name, fake]) => [
      name,
      async (...args: unknown[]) => {
        const labId = Context.current().info.workflowExecution!.workflowId;
        calls.get(labId)!.push(name as Activity);
        if (failures.get(labId)?.includes(name as Activity)) return failingFake(name)();
        return (fake as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as LabActivities;
}

/** Runs one lab to its end with `failing` activities failing; returns its outcome and its activity calls. */
async function runLab(...failing: Activity[]): Promise<{ outcome: LabOutcome; calls: Activity[] }> {
  const spec = sandboxSpec();
  calls.set(spec.labId, []);
  failures.set(spec.labId, failing);
  const handle = await env.client.workflow.start('networkLab', { taskQueue, workflowId: spec.labId, args: [spec] });
  return { outcome: await labOutcome(handle), calls: calls.get(spec.labId)! };
}

before(async () => {
  if (!temporalInstalled) return;
  // The time-skipping server would be downloaded (no machine here reaches its host); the failure
  // paths wait on no timer, so the dev server the sandbox installs serves as well.
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: toolPaths.temporal }, searchAttributes: labSearchAttributes },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    }),
    activities: recordingActivities(),
  });
  running = worker.run();
});

after(async () => {
  if (!temporalInstalled) return;
  worker.shutdown();
  await running;
  await env.teardown();
});

const skip = temporalInstalled
  ? false
  : `no Temporal dev server at ${toolPaths.temporal}: \`npm run sandbox -- up\` installs it`;

for (const c of cases) {
  test(
    `a failure in ${c.failing} (${c.phase}) runs exactly the undos registered before it, newest first`,
    { skip },
    async () => {
      const { outcome, calls } = await runLab(c.failing);
      assert.equal(outcome.report.outcome, 'failed');
      assert.equal(outcome.report.phases.find((p) => p.status === 'failed')?.phase, c.phase);
      assert.deepEqual(callsAfter(calls, c.failing), [...c.undos, 'findLeftovers']);
      assert.deepEqual(
        outcome.report.teardown?.map((t) => t.ok),
        c.undos.map(() => true),
      );
    },
  );
}

test('a lab that passes runs every undo, newest first, after its last phase', { skip }, async () => {
  const { outcome, calls } = await runLab();
  assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
  assert.deepEqual(callsAfter(calls, 'iperf3Test'), [...newestFirst, 'findLeftovers']);
  assert.ok(
    calls.slice(0, calls.indexOf('iperf3Test')).every((a) => !undoActivities.has(a)),
    'no undo runs before',
  );
});

test('an undo that fails does not stop the older ones, and the teardown says which failed', { skip }, async () => {
  const { outcome, calls } = await runLab('podDensity', 'deleteNodegroups');
  assert.deepEqual(callsAfter(calls, 'podDensity'), [...from('deleteDensityWorkload'), 'findLeftovers']);
  assert.deepEqual(
    outcome.report.teardown?.map((t) => `${t.step}: ${t.ok}`),
    ['delete density test: true', 'delete node groups: false', 'delete cluster: true', 'delete network stack: true'],
  );
  assert.equal(outcome.report.phases.find((p) => p.phase === 'teardown')?.status, 'failed');
});
