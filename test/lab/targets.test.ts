// Targets never mix, end to end: with an AWS-target worker process polling the same Temporal
// server (its AWS credentials point at the sandbox gateway, so nothing real is at stake), a
// default `start-lab` runs on the sandbox worker, and no task of the lab reaches the AWS worker.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { workerPolls } from '../../client/worker-process.js';
import { endpoints, sandboxCredentials, sandboxRegion } from '../../sandbox/config.js';
import { eventually, unique } from '../helpers/sandbox.js';

test('a default start-lab runs on the sandbox worker while an AWS worker polls', { timeout: 600_000 }, async () => {
  const connection = await Connection.connect({ address: endpoints.temporal });
  const client = new Client({ connection });
  const awsWorker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      NETLAB_TARGET: 'aws',
      AWS_ENDPOINT_URL: endpoints.gateway,
      AWS_ACCESS_KEY_ID: sandboxCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sandboxCredentials.secretAccessKey,
      AWS_REGION: sandboxRegion,
    },
    stdio: 'ignore',
  });
  try {
    // A worker bundles its workflow code as it starts: a minute or more on a busy machine.
    await eventually(
      'the AWS worker polls',
      async () => ((await workerPolls(client, 'default', 'aws')) ? true : undefined),
      180_000,
    );
    const labId = unique('tgt');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'client/start-lab.ts', '--lab-id', labId, '--phases', 'networking'],
      { encoding: 'utf8', timeout: 540_000 },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);

    // Every task of the lab was taken by a worker other than the AWS one.
    const history = await client.workflow.getHandle(labId).fetchHistory();
    const takers = new Set(
      (history.events ?? []).flatMap((e) => [
        e.workflowTaskStartedEventAttributes?.identity,
        e.activityTaskStartedEventAttributes?.identity,
      ]),
    );
    takers.delete(undefined);
    takers.delete(null);
    assert.ok(takers.size > 0);
    for (const identity of takers)
      assert.ok(!identity!.startsWith(`${awsWorker.pid}@`), `${identity} is the AWS worker`);
    assert.ok(await workerPolls(client, 'default', 'aws'), 'the AWS worker polled all along');
  } finally {
    awsWorker.kill('SIGTERM');
    await connection.close();
  }
});
