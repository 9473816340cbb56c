// A region the account cannot use stops the lab at validation with exit 2 naming --region, before
// any other look-up is asked of it and before anything is made: one that does not exist, and an
// opt-in region the account has not enabled (moto, like a new account, enables none).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListClustersCommand } from '@aws-sdk/client-eks';
import { aws, unique } from '../helpers/sandbox.js';

function startLab(region: string): { status: number | null; output: string; labId: string } {
  const labId = unique('region');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'client/start-lab.ts', '--region', region, '--lab-id', labId],
    {
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  return { status: run.status, output: run.stdout + run.stderr, labId };
}

async function assertNothingMade(labId: string): Promise<void> {
  const { Stacks = [] } = await aws.cloudformation.send(new DescribeStacksCommand({}));
  assert.ok(!Stacks.some((s) => s.StackName?.startsWith(labId)), `a stack of ${labId} was made`);
  const { clusters = [] } = await aws.eks.send(new ListClustersCommand({}));
  assert.ok(!clusters.includes(labId), `cluster ${labId} was made`);
}

test('a region that does not exist: exit 2 naming --region and the regions the account can use', async () => {
  const run = startLab('xx-fake-9');
  assert.equal(run.status, 2, run.output);
  assert.match(run.output, /--region: xx-fake-9 is not an AWS region; this account can use .*ap-northeast-2/);
  await assertNothingMade(run.labId);
});

test('an opt-in region the account has not enabled: exit 2 naming --region and how to enable it', async () => {
  const run = startLab('ap-east-1');
  assert.equal(run.status, 2, run.output);
  assert.match(run.output, /--region: ap-east-1 is an opt-in region this account has not enabled/);
  await assertNothingMade(run.labId);
});
