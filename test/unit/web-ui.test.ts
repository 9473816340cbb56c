// What the Temporal Web UI shows of a lab, on stand-in activities and a real dev server with its
// UI: the workflow's current details (the phase table and what it waits on now) and a summary on
// every activity, read from the server, then seen on the lab's page in headless Chromium (the
// screenshot is left in .netlab/screenshots/web-ui.png).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { labOutcome } from '../../client/follow.js';
import { labSummary } from '../../lab/plan.js';
import { workflowUrl } from '../../lab/report.js';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import { teardownNowSignal } from '../../lab/signals.js';
import { validateSpec } from '../../lab/spec.js';
import { toolPaths } from '../../sandbox/tools.js';
import { endless, fakeLabActivities } from '../helpers/fake-lab.js';
import { sandboxSpec } from '../helpers/lab.js';
import { eventually, unique } from '../helpers/sandbox.js';

const chromiumPath = '/usr/bin/chromium';
const missing = [
  existsSync(toolPaths.temporal)
    ? undefined
    : `no Temporal dev server at ${toolPaths.temporal}: \`npm run sandbox -- up\``,
  existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: \`apt-get install chromium\``,
].filter(Boolean);
// CI installs both (.ci/run): there a missing one is a failure, elsewhere a skip that says why.
const skip = process.env.CI || missing.length === 0 ? false : missing.join('; ');
const screenshot = fileURLToPath(new URL('../../.netlab/screenshots/web-ui.png', import.meta.url));

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = unique('web-ui');
const uiPort = 20_000 + Math.floor(Math.random() * 20_000);

before(async () => {
  if (skip) return;
  assert.deepEqual(missing, []);
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPaths.temporal },
      searchAttributes: labSearchAttributes,
      ui: true,
      uiPort,
    },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    }),
    // The node wait runs until the test ends the lab: the lab is caught mid-way.
    activities: fakeLabActivities({ waitForNodes: endless }),
    maxHeartbeatThrottleInterval: '200ms',
  });
  running = worker.run();
});

after(async () => {
  if (skip) return;
  worker.shutdown();
  await running;
  await env.teardown();
});

test("a lab's page shows its current details and its activities' summaries", { skip }, async () => {
  const spec = sandboxSpec();
  const handle = await env.client.workflow.start('networkLab', {
    taskQueue,
    workflowId: spec.labId,
    args: [spec],
    staticSummary: labSummary(validateSpec(spec).spec!),
  });
  const details = async (): Promise<string> =>
    (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  const shown = await eventually('the current details show the node wait', async () => {
    const text = await details();
    return /Waiting on: wait for 3 nodes Ready/.test(text) ? text : undefined;
  });
  assert.match(shown, /\| deploy — .* \| passed \|/);
  assert.match(shown, /\| nodes — .* \| running \|/);

  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
  const summaries = scheduled.map((e) =>
    e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined,
  );
  assert.deepEqual(
    scheduled.filter((_, i) => !summaries[i]).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
    [],
    'every activity has a summary',
  );
  assert.ok(summaries.includes(`create stack ${spec.labId}-network (VPC 192.168.0.0/16)`), summaries.join('\n'));

  // The same on the lab's page in the Web UI, as a person watching it sees them.
  const dir = mkdtempSync(join(tmpdir(), 'netlab-ui-'));
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 1800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await context.newPage();
    await page.goto(workflowUrl(`http://127.0.0.1:${uiPort}`, 'default', spec.labId), { timeout: 120_000 });
    // The timeline names each activity by its summary.
    await page.getByText(`create stack ${spec.labId}-network`).first().waitFor({ timeout: 120_000 });
    // The summary and the current details, under the page's User Metadata; the UI draws each
    // markdown text in a frame of its own.
    await page.getByText('User Metadata').first().click();
    const framesSay = async (text: string): Promise<boolean> => {
      for (const frame of page.frames())
        if ((await frame.innerText('body').catch(() => '')).includes(text)) return true;
      return false;
    };
    for (const text of ['Waiting on: wait for 3 nodes Ready', 'EKS network lab on sandbox'])
      await eventually(`the page shows ${text}`, async () => ((await framesSay(text)) ? true : undefined));
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await handle.signal(teardownNowSignal);
  await labOutcome(handle);
});
