// What only the worker's side can judge stops the lab at validation with exit 2 naming the flag,
// before anything is made: a region the account cannot use (one that does not exist, an opt-in
// region not enabled: moto, like a new account, enables none), and a report folder the worker
// cannot write. A region not enabled refuses calls, as on AWS, so the worker learns of it from the
// partition's anchor region.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListClustersCommand } from '@aws-sdk/client-eks';
import type { TrailEntry } from '../../sandbox/cloud/trail.js';
import { aws, gatewayAdmin, unique } from '../helpers/sandbox.js';

/**
 * Runs start-lab without blocking this process: a blocked event loop misses the gateway closing
 * idle keep-alive sockets, and the next SDK call here would reuse a closed one (socket hang up).
 */
async function startLab(...args: string[]): Promise<{ status: number | null; output: string; labId: string }> {
  const labId = unique('refused');
  return new Promise((resolvePromise) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'client/start-lab.ts', ...args, '--lab-id', labId],
      { encoding: 'utf8', timeout: 180_000 },
      (err, stdout, stderr) =>
        resolvePromise({
          status: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          output: stdout + stderr,
          labId,
        }),
    ),
  );
}

async function assertNothingMade(labId: string): Promise<void> {
  const { Stacks = [] } = await aws.cloudformation.send(new DescribeStacksCommand({}));
  assert.ok(!Stacks.some((s) => s.StackName?.startsWith(labId)), `a stack of ${labId} was made`);
  const { clusters = [] } = await aws.eks.send(new ListClustersCommand({}));
  assert.ok(!clusters.includes(labId), `cluster ${labId} was made`);
}

test('a region that does not exist: exit 2 naming --region and the regions the account can use', async () => {
  const run = await startLab('--region', 'xx-fake-9');
  assert.equal(run.status, 2, run.output);
  assert.match(run.output, /--region: xx-fake-9 is not an AWS region; this account can use .*ap-northeast-2/);
  await assertNothingMade(run.labId);
});

test('an opt-in region the account has not enabled: exit 2 naming --region and how to enable it', async () => {
  const since = Date.now();
  const run = await startLab('--region', 'ap-east-1');
  assert.equal(run.status, 2, run.output);
  assert.match(run.output, /--region: ap-east-1 is an opt-in region this account has not enabled/);
  // ap-east-1 refused the look-up (EC2's AuthFailure), so the partition's anchor was asked.
  const lookups = (await gatewayAdmin<TrailEntry[]>('GET', `trail?since=${since}`)).filter(
    (e) => e.operation === 'DescribeRegions',
  );
  const refused = lookups.findIndex((e) => e.region === 'ap-east-1' && e.status === 401);
  assert.ok(refused >= 0, `ap-east-1 refused the look-up: ${JSON.stringify(lookups)}`);
  assert.ok(
    lookups.slice(refused + 1).some((e) => e.region === 'us-east-1' && e.status === 200),
    `then us-east-1 answered: ${JSON.stringify(lookups)}`,
  );
  await assertNothingMade(run.labId);
});

test('a report folder inside a file: exit 2 naming --report-dir', async () => {
  const run = await startLab('--report-dir', '/proc/version/reports');
  assert.equal(run.status, 2, run.output);
  assert.match(run.output, /--report-dir: \/proc\/version is a file, not a folder/);
  await assertNothingMade(run.labId);
});
