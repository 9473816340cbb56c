// The chaos suite owns every worker on the sandbox's task queue: a background worker left by
// start-lab would run the activities a scenario means to lose (two-workers then threw no fault).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectClient } from '../../activities/temporal.js';
import { runChaos } from '../../bench/chaos/suite.js';
import { startSandboxWorker } from '../../client/worker-process.js';
import { runningPid } from '../../sandbox/processes.js';

test("the chaos suite stops the sandbox's background worker before it starts its own", async () => {
  const { client, close } = await connectClient();
  const dir = mkdtempSync(join(tmpdir(), 'chaos-workers-'));
  try {
    // Started whatever the task queue lists: the suite run before this file left its own
    // stopped workers listed as pollers for a while.
    await startSandboxWorker(client, 'default');
    assert.ok(runningPid('worker'), 'a background worker runs before the suite');
    const lines: string[] = [];
    await runChaos({ short: true, only: ['bad-input'], out: join(dir, 'chaos.json'), log: (l) => lines.push(l) });
    assert.equal(runningPid('worker'), undefined, 'the background worker still runs');
    assert.ok(lines.some((l) => l.includes("stopped the sandbox's background worker")));
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
