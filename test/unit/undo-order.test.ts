// The saga's compensation order, without a sandbox: the lab workflow on stand-in activities in
// @temporalio/testing's environment, failing once at each create step and in each phase, and with
// a failure or a teardown signal while concurrent creates are in flight. Whatever fails, the
// steps still running stop first, then exactly the undos registered before run, in the fixed
// teardown order, then the leak check. Whether real undos leave nothing behind is
// test/lab/failures.test.ts's question.
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
import { teardownNowSignal, type LabOutcome } from '../../lab/signals.js';
import { toolPaths } from '../../sandbox/tools.js';
import { endless, failingFake, fakeLabActivities } from '../helpers/fake-lab.js';
import { sandboxSpec } from '../helpers/lab.js';
import { eventually, unique } from '../helpers/sandbox.js';

type Activity = keyof LabActivities;

/** Every undo activity, in the order the teardown runs them after a lab that made everything. */
const teardownOrder: Activity[] = [
  'deleteIperf3Test',
  'deleteDnsTest',
  'deleteIngressTest',
  'deleteNlbTest',
  'deleteDensityWorkload',
  'uninstallLbController',
  'deleteIam',
  'deleteNodegroups',
  'deleteCluster',
  'deleteNetworkStack',
];
const undoActivities = new Set<string>(teardownOrder);
/** The undos from `first` on, in teardown order. */
const from = (first: Activity): Activity[] => teardownOrder.slice(teardownOrder.indexOf(first));
/** Once the cluster exists the node group, the add-ons and the controller's IAM start together, each registering its undo. */
const afterCluster: Activity[] = ['uninstallLbController', 'deleteIam', ...from('deleteNodegroups')];
/** The creates that run at once after the cluster. */
const besideNodegroup: Activity[] = ['createAddons', 'createLbControllerIam'];

const cases: { failing: Activity; phase: PhaseId; undos: Activity[] }[] = [
  // An undo is registered before its create runs: a create that failed half way is undone too.
  { failing: 'createNetworkStack', phase: 'deploy', undos: from('deleteNetworkStack') },
  { failing: 'createCluster', phase: 'deploy', undos: from('deleteCluster') },
  { failing: 'createNodegroup', phase: 'deploy', undos: afterCluster },
  { failing: 'createAddons', phase: 'deploy', undos: afterCluster },
  { failing: 'createLbControllerIam', phase: 'lbController', undos: afterCluster },
  { failing: 'waitForNodes', phase: 'nodes', undos: afterCluster },
  { failing: 'verifyNetworking', phase: 'networking', undos: afterCluster },
  { failing: 'installLbController', phase: 'lbController', undos: afterCluster },
  { failing: 'podDensity', phase: 'density', undos: from('deleteDensityWorkload') },
  // The four tests start together after density: each registered its undo.
  { failing: 'nlbTest', phase: 'nlb', undos: teardownOrder },
  { failing: 'ingressTest', phase: 'ingress', undos: teardownOrder },
  { failing: 'dnsTest', phase: 'externalDns', undos: teardownOrder },
  { failing: 'iperf3Test', phase: 'iperf3', undos: teardownOrder },
];

/** The teardown: every call from the first undo on, without the report written around it. */
const teardownCalls = (calls: string[]): string[] =>
  calls.slice(calls.findIndex((a) => undoActivities.has(a))).filter((a) => a !== 'writeReport');

const temporalInstalled = existsSync(toolPaths.temporal);
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = unique('undo-order');
/** Activity calls by lab (workflow id), in the order the workflow made them, and `<activity> stopped` for endless ones. */
const calls = new Map<string, string[]>();
/** Per lab: the activities that fail (once every endless one has started), and those that run until cancelled. */
const plans = new Map<string, { failing: Activity[]; endless: Activity[] }>();

/** The stand-ins, each recording its call and failing or running on where the lab's test says so. */
function recordingActivities(): LabActivities {
  const fakes = fakeLabActivities();
  return Object.fromEntries(
    Object.entries(fakes).map(([name, fake]) => [
      name,
      async (...args: unknown[]) => {
        const labId = Context.current().info.workflowExecution!.workflowId;
        const called = calls.get(labId)!;
        const plan = plans.get(labId)!;
        called.push(name);
        if (plan.endless.includes(name as Activity)) {
          try {
            return await endless();
          } finally {
            called.push(`${name} stopped`);
          }
        }
        if (plan.failing.includes(name as Activity)) {
          // Mid-create: the failure comes while the endless creates beside it run.
          await eventually('the endless creates running', async () =>
            plan.endless.every((a) => called.includes(a)) ? true : undefined,
          );
          return failingFake(name)();
        }
        return (fake as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as LabActivities;
}

/** Starts one lab with `failing` activities failing and `endless` ones running until cancelled. */
async function startLab(failing: Activity[], endless: Activity[] = []) {
  const spec = sandboxSpec();
  calls.set(spec.labId, []);
  plans.set(spec.labId, { failing, endless });
  const handle = await env.client.workflow.start('networkLab', { taskQueue, workflowId: spec.labId, args: [spec] });
  return { handle, calls: calls.get(spec.labId)! };
}

/** Runs one lab to its end; returns its outcome and its activity calls. */
async function runLab(
  failing: Activity[],
  endless: Activity[] = [],
): Promise<{ outcome: LabOutcome; calls: string[] }> {
  const { handle, calls } = await startLab(failing, endless);
  return { outcome: await labOutcome(handle), calls };
}

/** Each endless activity stopped before the first undo ran. */
function assertStoppedBeforeTeardown(calls: string[], endless: Activity[]): void {
  const firstUndo = calls.findIndex((a) => undoActivities.has(a));
  for (const a of endless) {
    const stopped = calls.indexOf(`${a} stopped`);
    assert.ok(stopped !== -1 && stopped < firstUndo, `${a} stopped before the teardown: ${calls.join(', ')}`);
  }
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
    // Cancellation reaches an activity with a heartbeat's answer: heartbeat often, so it stops at once.
    maxHeartbeatThrottleInterval: '200ms',
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
    `a failure in ${c.failing} (${c.phase}) runs exactly the undos registered before it, in teardown order`,
    { skip },
    async () => {
      const { outcome, calls } = await runLab([c.failing]);
      assert.equal(outcome.report.outcome, 'failed');
      assert.equal(outcome.report.phases.find((p) => p.status === 'failed')?.phase, c.phase);
      assert.deepEqual(teardownCalls(calls), [...c.undos, 'findLeftovers']);
      assert.deepEqual(
        outcome.report.teardown?.map((t) => t.ok),
        c.undos.map(() => true),
      );
    },
  );
}

test('a failure in one branch while the others are mid-create stops them before any undo', { skip }, async () => {
  const { outcome, calls } = await runLab(['createNodegroup'], besideNodegroup);
  assert.equal(outcome.report.outcome, 'failed');
  assert.equal(outcome.report.error, 'createNodegroup failed on purpose');
  const status = (id: PhaseId) => outcome.report.phases.find((p) => p.phase === id)?.status;
  assert.deepEqual([status('deploy'), status('lbController'), status('nodes')], ['failed', 'cancelled', 'skipped']);
  assertStoppedBeforeTeardown(calls, besideNodegroup);
  assert.deepEqual(teardownCalls(calls), [...afterCluster, 'findLeftovers']);
});

test('teardown-now while concurrent creates run stops each of them before any undo', { skip }, async () => {
  const inFlight: Activity[] = ['createNodegroup', ...besideNodegroup];
  const { handle, calls } = await startLab([], inFlight);
  await eventually('the creates running', async () => (inFlight.every((a) => calls.includes(a)) ? true : undefined));
  await handle.signal(teardownNowSignal);
  const outcome = await labOutcome(handle);
  assert.equal(outcome.report.outcome, 'failed');
  assert.equal(outcome.report.error, 'teardown requested');
  assertStoppedBeforeTeardown(calls, inFlight);
  assert.deepEqual(teardownCalls(calls), [...afterCluster, 'findLeftovers']);
});

test('a lab that passes runs every undo, in teardown order, after its last phase', { skip }, async () => {
  const { outcome, calls } = await runLab([]);
  assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
  assert.deepEqual(teardownCalls(calls), [...teardownOrder, 'findLeftovers']);
  const firstUndo = calls.findIndex((a) => undoActivities.has(a));
  for (const test of ['podDensity', 'nlbTest', 'ingressTest', 'dnsTest', 'iperf3Test'])
    assert.ok(calls.indexOf(test) < firstUndo, `${test} ran before the teardown`);
});

test('an undo that fails does not stop the older ones, and the teardown says which failed', { skip }, async () => {
  const { outcome, calls } = await runLab(['podDensity', 'deleteNodegroups']);
  assert.deepEqual(teardownCalls(calls), [...from('deleteDensityWorkload'), 'findLeftovers']);
  assert.deepEqual(
    outcome.report.teardown?.map((t) => `${t.step}: ${t.ok}`),
    [
      'delete density test: true',
      'uninstall the load balancer controller: true',
      'delete IAM roles, policies and OIDC provider: true',
      'delete node groups: false',
      'delete cluster: true',
      'delete network stack: true',
    ],
  );
  assert.equal(outcome.report.phases.find((p) => p.phase === 'teardown')?.status, 'failed');
});
