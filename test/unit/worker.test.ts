// The worker process (worker/), on stand-in activities (fake-lab.ts) and the dev server the
// sandbox installs, as in undo-order.test.ts: the bundle `npm run build` makes runs labs and is set
// aside when built from other sources; a SIGTERM lets the running activity finish, or hands it to
// another worker, and the lab completes; the metrics endpoint serves the lab metrics as the labs'
// reports give them, on the next port when another process holds NETLAB_METRICS_PORT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { recordLabStarted } from '../../activities/metrics.js';
import { labOutcome } from '../../client/follow.js';
import type { LabReport } from '../../lab/report.js';
import type { LabSpecInput } from '../../lab/spec.js';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import { toolPaths } from '../../sandbox/tools.js';
import { buildWorkflowBundle, workflowCode } from '../../worker/bundle.js';
import { sandboxTarget } from '../../worker/config.js';
import { installRuntime } from '../../worker/runtime.js';
import { fakeLabActivities } from '../helpers/fake-lab.js';
import { unique } from '../helpers/sandbox.js';

const temporalInstalled = existsSync(toolPaths.temporal);
const skip = temporalInstalled
  ? false
  : `no Temporal dev server at ${toolPaths.temporal}: \`npm run sandbox -- up\` installs it`;
const fakeWorker = fileURLToPath(new URL('../fixtures/fake-worker.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'netlab-worker-test-'));
const bundleDir = join(scratch, 'bundle');
let env: TestWorkflowEnvironment;
/** Holds NETLAB_METRICS_PORT, as another worker on this machine would. */
let otherWorker: Server;
let metricsPort: number;
let metricsUrl: string | undefined;

/** A sandbox lab's spec (test/helpers/lab.ts's, which installs a runtime without metrics on import). */
const labSpec = (labId: string, reportDir?: string): LabSpecInput => ({ labId, reportDir, createZone: true });

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });

before(async () => {
  if (!temporalInstalled) return;
  otherWorker = await listen(0);
  metricsPort = (otherWorker.address() as { port: number }).port;
  // Before the test environment, which would install the SDK's default runtime.
  metricsUrl = installRuntime({ NETLAB_METRICS_PORT: String(metricsPort) });
  await buildWorkflowBundle(bundleDir);
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: toolPaths.temporal }, searchAttributes: labSearchAttributes },
  });
});

after(async () => {
  if (!temporalInstalled) return;
  await env.teardown();
  otherWorker.close();
  rmSync(scratch, { recursive: true, force: true });
});

test(
  'a worker runs the bundle built from these sources, and the sources when there is none or it is from others',
  { skip },
  () => {
    const current = workflowCode(bundleDir);
    assert.deepEqual(current.options.workflowBundle, { codePath: join(bundleDir, 'workflow-bundle.js') });
    assert.equal(current.options.workflowsPath, undefined);
    assert.match(current.description, /^workflow bundle /);

    const stale = join(scratch, 'stale-bundle');
    cpSync(bundleDir, stale, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(stale, 'workflow-bundle.json'), 'utf8')) as { sourcesHash: string };
    writeFileSync(
      join(stale, 'workflow-bundle.json'),
      JSON.stringify({ ...manifest, sourcesHash: 'of older sources' }),
    );
    const fromStale = workflowCode(stale);
    assert.equal(fromStale.options.workflowBundle, undefined);
    assert.match(fromStale.options.workflowsPath!, /workflows\/index\.ts$/);
    assert.match(fromStale.description, /is from other sources; `npm run build` refreshes it/);

    assert.match(workflowCode(join(scratch, 'nothing-here')).description, /no bundle in .*`npm run build` makes one/);
  },
);

/** The sum of a metric's samples whose labels include `labels`, from Prometheus's text format. */
function metricValue(scraped: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of scraped.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => m[2]?.includes(`${k}="${v}"`));
    if (has) sum += Number(m[3]);
  }
  return sum;
}

test(
  'the metrics endpoint serves the lab metrics as the labs reported them, on the next free port',
  { skip },
  async () => {
    // The next free port: usually the next one, unless another program on this machine has it.
    const port = Number(/:(\d+)\/metrics$/.exec(metricsUrl!)?.[1]);
    assert.ok(port > metricsPort && port < metricsPort + 16, metricsUrl);
    const taskQueue = unique('metrics');
    const realWriteReport = createActivities(sandboxTarget()).writeReport;
    const fakes = fakeLabActivities();
    const leaky = unique('leaky');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...workflowCode(bundleDir).options,
      activities: fakeLabActivities({
        async validateLab(input) {
          recordLabStarted('sandbox');
          return fakes.validateLab(input);
        },
        findLeftovers: async (spec) => (spec.labId === leaky ? [{ kind: 'vpc', id: 'vpc-left' }] : []),
        writeReport: realWriteReport,
      }),
    });
    const reports = await worker.runUntil(async () => {
      const labIds = [unique('passing'), leaky];
      for (const labId of labIds) {
        const spec = labSpec(labId, join(scratch, labId));
        const handle = await env.client.workflow.start('networkLab', { taskQueue, workflowId: labId, args: [spec] });
        await labOutcome(handle);
      }
      return labIds.map((id) => JSON.parse(readFileSync(join(scratch, id, 'report.json'), 'utf8')) as LabReport);
    });
    assert.deepEqual(
      reports.map((r) => r.outcome),
      ['passed', 'teardown-incomplete'],
    );
    // Each report links to its run in the Web UI.
    for (const r of reports)
      assert.match(
        r.workflowUrl ?? '',
        new RegExp(`^http://127\\.0\\.0\\.1:\\d+/namespaces/default/workflows/${r.labId}/[0-9a-f-]{36}/history$`),
      );

    const scraped = await (await fetch(metricsUrl!)).text();
    assert.equal(metricValue(scraped, 'netlab_labs_started_total', { target: 'sandbox' }), 2);
    assert.equal(metricValue(scraped, 'netlab_labs_finished_total', { outcome: 'passed', failed_phase: 'none' }), 1);
    assert.equal(metricValue(scraped, 'netlab_labs_finished_total', { outcome: 'teardown-incomplete' }), 1);
    for (const { phase, status } of reports.flatMap((r) => r.phases))
      assert.equal(
        metricValue(scraped, 'netlab_lab_phases_total', { phase, status }),
        reports.flatMap((r) => r.phases).filter((p) => p.phase === phase && p.status === status).length,
        `${phase} ${status}`,
      );
    const teardownMs = reports.map((r) => r.phases.find((p) => p.phase === 'teardown')!.durationMs!);
    assert.equal(metricValue(scraped, 'netlab_lab_teardown_seconds_count'), 2);
    assert.ok(
      Math.abs(metricValue(scraped, 'netlab_lab_teardown_seconds_sum') - (teardownMs[0]! + teardownMs[1]!) / 1000) <
        1e-6,
    );
    assert.ok(teardownMs[0]! > 0, 'the teardown took time');
    assert.equal(metricValue(scraped, 'netlab_lab_leftovers_total', { kind: 'vpc' }), 1);
    assert.ok(metricValue(scraped, 'temporal_activity_execution_latency_seconds_count') > 0, scraped);
  },
);

interface WorkerProcess {
  output: () => string;
  /** Resolves when a line of output matches. */
  says: (line: RegExp) => Promise<void>;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** A worker process on stand-in activities whose createCluster takes `createMs`. */
function startWorker(taskQueue: string, createMs: number): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fakeWorker], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      FAKE_TASK_QUEUE: taskQueue,
      FAKE_BUNDLE_DIR: bundleDir,
      FAKE_CREATE_MS: String(createMs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiting: { line: RegExp; resolve: () => void }[] = [];
  const read = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const w of waiting.filter((w) => w.line.test(output))) w.resolve();
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    output: () => output,
    says: (line) =>
      line.test(output)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiting.push({ line, resolve })),
            exited.then((code) =>
              Promise.reject(new Error(`worker exited (${code}) without saying ${line}:\n${output}`)),
            ),
          ]),
    exited,
    kill: (signal) => child.kill(signal),
  };
}

test('a SIGTERM lets the running activity finish; another worker completes the lab', { skip }, async () => {
  const taskQueue = unique('stop-finish');
  const first = startWorker(taskQueue, 6_000);
  await first.says(/fake worker runs workflow bundle/);
  const spec = labSpec(unique('stop-finish'));
  const handle = await env.client.workflow.start('networkLab', { taskQueue, workflowId: spec.labId, args: [spec] });
  await first.says(/createCluster attempt 1 started/);
  first.kill('SIGTERM');
  const second = startWorker(taskQueue, 6_000);
  try {
    assert.equal(await first.exited, 0, first.output());
    assert.match(
      first.output(),
      /createCluster attempt 1 finished/,
      'the activity ran to its end on the stopping worker',
    );
    const outcome = await labOutcome(handle);
    assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    assert.doesNotMatch(second.output(), /createCluster/, 'the create did not run again');
  } finally {
    second.kill('SIGTERM');
    await second.exited;
  }
});

test(
  'a SIGTERM hands an activity longer than the grace time to another worker at once; the lab completes',
  { skip },
  async () => {
    const taskQueue = unique('stop-handover');
    const first = startWorker(taskQueue, 10 * 60_000);
    await first.says(/fake worker runs workflow bundle/);
    const spec = labSpec(unique('stop-handover'));
    const handle = await env.client.workflow.start('networkLab', { taskQueue, workflowId: spec.labId, args: [spec] });
    await first.says(/createCluster attempt 1 started/);
    const signalled = Date.now();
    first.kill('SIGTERM');
    const second = startWorker(taskQueue, 1_000);
    try {
      assert.equal(await first.exited, 0, first.output());
      await second.says(/createCluster attempt 2 started/);
      // Retried when the cancelled attempt failed, not a heartbeat timeout (1 min) after the grace time.
      assert.ok(Date.now() - signalled < 50_000, `handed over ${Date.now() - signalled} ms after the SIGTERM`);
      const outcome = await labOutcome(handle);
      assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  },
);
