// Whole labs on the sandbox, interrupted where Temporal's semantics decide what is left: a retried
// density attempt, a cancel while a create call is on its way, a failing branch while a create
// beside it is on its way, a cancel during a hold, and a teardown throttled for a while.
// Whatever happens, the figures are right and nothing is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { labOutcome } from '../../client/follow.js';
import { applyObjects } from '../../activities/kube-apply.js';
import { clusterKubeConfig, deploymentObject, isRunningReady, namespaceObject, podsOf } from '../../activities/kube.js';
import { densityApp } from '../../activities/phases/density.js';
import { progressQuery } from '../../lab/signals.js';
import { validateSpec, type LabSpec } from '../../lab/spec.js';
import { labActivities, runLab, sandboxSpec, startLab } from '../helpers/lab.js';
import { eventually, gatewayAdmin, nodegroupAccessDenied, target, withFault } from '../helpers/sandbox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function assertNothingLeft(spec: ReturnType<typeof sandboxSpec>): Promise<void> {
  assert.deepEqual(await labActivities.findLeftovers(validateSpec(spec).spec!), []);
}

const phaseIs = (h: WorkflowHandle, phase: string, status: string) => async (): Promise<true | undefined> =>
  (await h.query(progressQuery)).phases.find((p) => p.phase === phase)?.status === status ? true : undefined;

test('density figures after a retried attempt do not count the first attempt’s pods as system pods', async () => {
  const spec = sandboxSpec({ phases: ['density'] });
  const outcome = await runLab(spec, {
    // The first attempt gets as far as its pods running, then its worker is lost.
    async podDensity(s: LabSpec, limits) {
      if (Context.current().info.attempt > 1) return labActivities.podDensity(s, limits);
      const kc = await clusterKubeConfig(target, s.labId);
      await applyObjects(kc, [
        namespaceObject(s.labId),
        deploymentObject(s.labId, densityApp, 'nginx:alpine', s.replicas),
      ]);
      await eventually(
        'the first attempt’s pods running',
        async () => ((await podsOf(kc, densityApp)).filter(isRunningReady).length >= 40 ? true : undefined),
        120_000,
      );
      throw ApplicationFailure.retryable('the worker running the first attempt was lost', 'WorkerLost');
    },
  });
  const d = outcome.report.density!;
  assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
  assert.equal(d.systemPods, 3 * 2 + 2, 'aws-node and kube-proxy on each node, two coredns');
  assert.equal(d.expectedFreeCapacity, 43);
  assert.equal(d.running, 43);
  assert.equal(d.pending, 7);
});

test('a cancel while CreateStack is on its way: the stack is deleted after it is made, nothing is left', async () => {
  const spec = sandboxSpec({ phases: [] });
  const lab = await startLab(spec, {
    // The call is already on its way when the cancel comes: no heartbeat in between tells it.
    async createNetworkStack(s: LabSpec, zones: string[]) {
      await sleep(4_000);
      return labActivities.createNetworkStack(s, zones);
    },
  });
  try {
    await eventually('deploy running', phaseIs(lab.handle, 'deploy', 'running'));
    await sleep(1_000);
    await lab.handle.cancel();
    const outcome = await labOutcome(lab.handle);
    assert.equal(outcome.report.error, 'cancelled');
    assert.equal((await lab.handle.describe()).status.name, 'FAILED');
    assert.deepEqual(outcome.report.leftovers, []);
    await assertNothingLeft(spec);
  } finally {
    await lab.stop();
  }
});

test('a node group AWS refuses while the controller’s IAM is being made: the IAM is made, then undone', () =>
  withFault(nodegroupAccessDenied, async () => {
    const spec = sandboxSpec({ phases: ['lbController'] });
    let iamMade = false;
    const outcome = await runLab(spec, {
      // Still on its way when the node group fails: no heartbeat tells it of the cancel.
      async createLbControllerIam(s: LabSpec) {
        await sleep(3_000);
        const iam = await labActivities.createLbControllerIam(s);
        iamMade = true;
        return iam;
      },
    });
    assert.equal(outcome.report.outcome, 'failed');
    assert.match(outcome.report.error ?? '', /AccessDenied/);
    assert.ok(iamMade, 'the IAM create finished after the failure');
    assert.deepEqual(
      outcome.report.teardown!.map((t) => `${t.step}: ${t.ok}`),
      [
        'uninstall the load balancer controller: true',
        'delete IAM roles, policies and OIDC provider: true',
        'delete node groups: true',
        'delete cluster: true',
        'delete network stack: true',
      ],
    );
    assert.deepEqual(outcome.report.leftovers, []);
    await assertNothingLeft(spec);
  }));

test('cancel on a held lab ends the hold and tears everything down', async () => {
  const spec = sandboxSpec({ phases: [], keep: true });
  const lab = await startLab(spec);
  try {
    await eventually('held after the report', phaseIs(lab.handle, 'report', 'passed'), 300_000);
    await lab.handle.cancel();
    const outcome = await labOutcome(lab.handle);
    assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    assert.ok(outcome.report.teardown!.length > 0 && outcome.report.teardown!.every((t) => t.ok));
    await assertNothingLeft(spec);
  } finally {
    await lab.stop();
  }
});

test('a teardown throttled for a while keeps retrying and finishes', async () => {
  const spec = sandboxSpec({ phases: [] });
  await gatewayAdmin('POST', 'faults', {
    service: 'cloudformation',
    operation: 'DeleteStack',
    mode: 'always',
    error: 'Throttling',
  });
  const lab = await startLab(spec);
  try {
    const pending = await eventually(
      'the stack delete throttled through three attempts',
      async () => {
        const a = (await lab.handle.describe()).raw.pendingActivities?.find(
          (p) => p.activityType?.name === 'deleteNetworkStack',
        );
        return a && (a.attempt ?? 0) >= 3 ? a : undefined;
      },
      300_000,
    );
    assert.equal(pending.maximumAttempts ?? 0, 0, 'the undo has no attempt cap');
    assert.match(pending.lastFailure?.message ?? '', /Throttling/);
    await gatewayAdmin('DELETE', 'faults');
    const outcome = await labOutcome(lab.handle);
    assert.equal(outcome.report.outcome, 'passed', outcome.report.error);
    await assertNothingLeft(spec);
  } finally {
    await gatewayAdmin('DELETE', 'faults');
    await lab.stop();
  }
});
