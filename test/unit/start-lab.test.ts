// The start-lab CLI's answers that need no cloud: the plan for AWS and refusing bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { withFlagNames } from '../../client/options.js';

const startLab = (...args: string[]) => startLabWith({}, ...args);
const startLabWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'client/start-lab.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });

test('--target aws --plan prints what would be created, in order, and stops', () => {
  const run = startLab('--target', 'aws', '--plan', '--lab-id', 'plan-demo', '--domain', 'lab.example.org');
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n').filter((l) => /^\s+\d+\. /.test(l));
  assert.match(lines[0]!, /CloudFormation stack plan-demo-network/);
  assert.match(lines[1]!, /EKS cluster plan-demo/);
  assert.match(lines[2]!, /node group plan-demo-ng: 3 × t3.medium/);
  assert.ok(lines.some((l) => /tetris\.plan-demo\.lab\.example\.org/.test(l)));
  assert.match(lines.at(-1)!, /torn down/);
});

test('bad input is refused with exit code 2, naming each flag and the fix', () => {
  const run = startLab(
    '--nodes',
    '0',
    '--instance-type',
    'T3 Medium',
    '--ttl',
    'soon',
    '--phases',
    'nlb',
    '--target',
    'aws',
    '--yes',
  );
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--nodes: /);
  assert.match(run.stderr, /--instance-type: must be an EC2 instance type/);
  assert.match(run.stderr, /--ttl: must be a duration/);
  assert.match(run.stderr, /--phases: nlb needs lbController/);
});

test('numbers are decimal digits only, durations are capped, and names must end alphanumeric', () => {
  for (const [flag, value] of [
    ['--nodes', '0x10'],
    ['--nodes', '1e1'],
    ['--nodes', '0b11'],
    ['--replicas', ' 50'],
    ['--ttl', `${'9'.repeat(400)}h`],
    ['--ttl', '200h'],
    ['--lab-id', 'lab-a-'],
  ] as const) {
    const run = startLab('--target', 'aws', '--yes', flag, value);
    assert.equal(run.status, 2, `${flag} ${value}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, new RegExp(`^  ${flag}: `, 'm'), `${flag} ${value}`);
  }
});

test('an unreachable Temporal is one line and exit 2, not a stack trace', () => {
  const run = startLabWith(
    { TEMPORAL_ADDRESS: '127.0.0.1:1' },
    '--target',
    'aws',
    '--yes',
    '--lab-id',
    'unreachable-1',
  );
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^Temporal is not reachable .*TEMPORAL_ADDRESS$/m);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});

test("the worker's validation problems are shown with the flags that fix them", () => {
  assert.equal(
    withFlagNames(
      'invalid lab spec: region: xx-fake-9 offers 0 zones; the lab needs 3; instanceType: t9.huge is not offered in xx-fake-9',
    ),
    'invalid lab spec: --region: xx-fake-9 offers 0 zones; the lab needs 3; --instance-type: t9.huge is not offered in xx-fake-9',
  );
});
