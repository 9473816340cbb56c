// The Kubernetes version end to end: `start-lab --kubernetes-version 1.24` stops at validation
// with exit 2 and nothing made, `--plan` shows what EKS resolves, and a lab without a version
// runs the newest one in standard support and says so in its report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ListClustersCommand } from '@aws-sdk/client-eks';
import { runLab, sandboxSpec } from '../helpers/lab.js';
import { aws, unique } from '../helpers/sandbox.js';

const startLab = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'client/start-lab.ts', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });

test('start-lab --kubernetes-version 1.24 exits 2 within a minute, naming the supported versions, with nothing made', async () => {
  const labId = unique('old');
  const started = Date.now();
  const run = startLab('--kubernetes-version', '1.24', '--lab-id', labId);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(run.status, 2, run.stdout + run.stderr);
  assert.ok(seconds < 60, `took ${seconds} s`);
  assert.match(run.stdout + run.stderr, /EKS does not support Kubernetes 1\.24.*supported: 1\.36, 1\.35, 1\.34/);
  const stacks = await aws.cloudformation.send(new DescribeStacksCommand({}));
  assert.ok(!(stacks.Stacks ?? []).some((s) => s.StackName?.startsWith(labId)));
  const { clusters = [] } = await aws.eks.send(new ListClustersCommand({}));
  assert.ok(!clusters.includes(labId));
  const vpcs = await aws.ec2.send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'tag:netlab.io/lab-id', Values: [labId] }] }),
  );
  assert.equal(vpcs.Vpcs?.length ?? 0, 0);
});

test('start-lab --plan on the sandbox shows the resolved Kubernetes and add-on versions', () => {
  const run = startLab('--plan', '--lab-id', unique('plan'));
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /EKS cluster \S+ \(Kubernetes 1\.36, standard support until \d{4}-\d{2}-\d{2}, upgrade policy STANDARD\)/,
  );
  assert.match(run.stdout, /EKS add-ons vpc-cni v\S+, coredns v\S+, kube-proxy v1\.36\.\S+/);
  const extended = startLab('--plan', '--kubernetes-version', '1.33', '--lab-id', unique('plan'));
  assert.equal(extended.status, 2);
  assert.match(extended.stderr, /--kubernetes-version: .*extended support.*6× more/);
});

test('a lab without a version runs the newest in standard support and reports it', async () => {
  const { report, reportDir } = await runLab(sandboxSpec({ phases: [] }));
  assert.equal(report.outcome, 'passed', report.error);
  assert.equal(report.kubernetes?.version, '1.36');
  assert.equal(report.deploy?.kubernetesVersion, '1.36');
  assert.deepEqual(
    report.deploy?.addons.map((a) => [a.name, a.version]),
    report.kubernetes?.addons.map((a) => [a.name, a.version]),
    'the add-ons run the versions resolved at validation',
  );
  const markdown = readFileSync(join(reportDir!, 'report.md'), 'utf8');
  assert.match(markdown, /Kubernetes 1\.36, standard support until \d{4}-\d{2}-\d{2}, upgrade policy STANDARD/);
});
