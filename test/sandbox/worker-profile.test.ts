// The worker finds Temporal through a connection profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE,
// docs/worker.md) as it would find Temporal Cloud or a team's cluster: started with no address
// variables, and a local default that leads nowhere, it polls the sandbox's server the profile names.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { workerPolls } from '../../client/worker-process.js';
import { projectRoot } from '../../lab/local.js';
import { endpoints } from '../../sandbox/config.js';
import { eventually } from '../helpers/sandbox.js';

test('a worker started with a profile file and no address variables polls the server the profile names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-profile-'));
  const configFile = join(dir, 'temporal.toml');
  writeFileSync(
    configFile,
    [
      '[profile.default]',
      'address = "127.0.0.1:1"',
      '',
      '[profile.sandbox]',
      `address = "${endpoints.temporal}"`,
      'namespace = "default"',
      '',
    ].join('\n'),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
  const worker = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'worker', 'main.ts')], {
    env: {
      ...env,
      // Where the worker would look without the profile: no server listens there.
      NETLAB_TEMPORAL_PORT: '1',
      TEMPORAL_CONFIG_FILE: configFile,
      TEMPORAL_PROFILE: 'sandbox',
      NETLAB_TARGET: 'sandbox',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  const connection = await Connection.connect({ address: endpoints.temporal });
  try {
    const client = new Client({ connection });
    await eventually(
      'the worker to poll the sandbox task queue',
      async () => {
        const pollers = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: 'eks-netlab-sandbox' },
        });
        return pollers.pollers?.some((p) => p.identity?.startsWith(`${worker.pid}@`)) || undefined;
      },
      180_000,
    );
    assert.ok(await workerPolls(client, 'default', 'sandbox'));
    assert.match(output, new RegExp(`task queue eks-netlab-sandbox on ${endpoints.temporal} \\(default\\)`));
  } finally {
    worker.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    await connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
